// multipart/form-data for media messages: fields `type` and `content`, and one file part. Parsed
// before validation, into the same body a JSON request has, plus the file. Limits are checked
// while reading, so an oversized upload is cut off instead of buffered whole.
import type { FastifyRequest } from 'fastify'
import type { Multipart } from '@fastify/multipart'
import { AppError, acceptedMediaType, AUDIO_TYPES, bytesMatch, IMAGE_TYPES } from '../../../platform'
import { MAX_AUDIO_BYTES, type Upload } from './service'

declare module 'fastify' {
  interface FastifyRequest {
    upload?: Upload
  }
}

const FIELDS = new Set(['type', 'content'])
const MAX_FIELD_BYTES = 20_000

export const MULTIPART_LIMITS = { files: 1, fileSize: MAX_AUDIO_BYTES, fields: 4, fieldSize: MAX_FIELD_BYTES, parts: 5 }

function tooMany(err: unknown): AppError | undefined {
  switch ((err as { code?: string })?.code) {
    case 'FST_FILES_LIMIT':
      return new AppError('validation_failed', 'file: send one file per message', { field: 'file' })
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new AppError('validation_failed', 'body: expected only the fields type and content and one file', { field: 'body' })
    case 'FST_REQ_FILE_TOO_LARGE':
      return new AppError('payload_too_large', `file: files may be at most ${MAX_AUDIO_BYTES / 1024 / 1024} MB (images 10 MB)`, {
        field: 'file',
        maxBytes: MAX_AUDIO_BYTES,
      })
    case 'FST_PROTO_VIOLATION':
      return new AppError('validation_failed', 'body: field name not allowed', { field: 'body' })
  }
  return undefined
}

async function readFile(part: Extract<Multipart, { type: 'file' }>): Promise<Upload> {
  const contentType = acceptedMediaType(part.mimetype)
  if (!contentType) {
    part.file.resume()
    throw new AppError(
      'unsupported_media_type',
      `file: ${part.mimetype || 'no content type'} is not accepted; images ${IMAGE_TYPES.join(', ')}; audio ${AUDIO_TYPES.join(', ')}`,
      { field: 'file' },
    )
  }
  const body = await part.toBuffer()
  if (!body.length) throw new AppError('validation_failed', 'file: the file is empty', { field: 'file' })
  if (!bytesMatch(contentType, body.subarray(0, 16)))
    throw new AppError('unsupported_media_type', `file: the file's contents are not ${contentType}`, { field: 'file' })
  return { body, contentType, fileName: part.filename ? part.filename.slice(0, 255) : null }
}

/** preValidation hook: turns a multipart request into req.body plus req.upload. */
export async function parseMultipartMessage(req: FastifyRequest) {
  if (!req.isMultipart()) return
  const body: Record<string, string> = {}
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') {
          part.file.resume()
          throw new AppError('validation_failed', `body.${part.fieldname}: the file part must be named "file"`, { field: 'file' })
        }
        req.upload = await readFile(part)
      } else {
        if (!FIELDS.has(part.fieldname))
          throw new AppError('validation_failed', `body.${part.fieldname}: unknown field; expected type, content and file`, {
            field: `body.${part.fieldname}`,
          })
        if (typeof part.value !== 'string' || part.valueTruncated)
          throw new AppError('validation_failed', `body.${part.fieldname}: must be text of at most 5000 characters`, {
            field: `body.${part.fieldname}`,
          })
        body[part.fieldname] = part.value
      }
    }
  } catch (err) {
    throw tooMany(err) ?? err
  }
  req.body = body
}
