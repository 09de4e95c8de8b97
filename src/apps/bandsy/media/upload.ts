// Reads a multipart upload: text fields into memory, the one file part onto a temporary file
// (uploads run to 200 MB, too much to hold per request), refusing early what cannot succeed: an
// unaccepted declared type before any byte is written, too many bytes as soon as they arrive.
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../../../platform'
import { acceptedType, MEDIA_LIMITS, MEDIA_TYPES, maxBytesFor, type MediaType } from './formats'

export const FILE_FIELD = 'file'

export interface SpooledFile {
  path: string
  size: number
  declared: MediaType
  filename: string
}

export interface Upload {
  fields: Map<string, string[]>
  file?: SpooledFile
  /** Removes the temporary file; always call it. */
  cleanup(): Promise<void>
}

const ACCEPTED = Object.keys(MEDIA_TYPES).join(', ')
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`

export async function readUpload(req: FastifyRequest): Promise<Upload> {
  if (!req.isMultipart())
    throw new AppError(
      'unsupported_media_type',
      `Send the sample as multipart/form-data (got ${req.headers['content-type'] ?? 'no content type'})`,
    )
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'bandsy-upload-'))
  const cleanup = () => fsp.rm(dir, { recursive: true, force: true })
  const fields = new Map<string, string[]>()
  let file: SpooledFile | undefined
  try {
    const parts = req.parts({
      limits: {
        files: 1,
        fields: MEDIA_LIMITS.fields,
        fieldSize: MEDIA_LIMITS.fieldBytes,
        fieldNameSize: 100,
        parts: MEDIA_LIMITS.fields + 1,
        // One byte over the largest allowance, so the counter below, which knows the kind, speaks first.
        fileSize: MEDIA_LIMITS.videoBytes + 1,
      },
    })
    for await (const part of parts) {
      if (part.type === 'field') {
        if (part.fieldnameTruncated) throw new AppError('validation_failed', 'A field name is too long')
        if (part.valueTruncated)
          throw new AppError('payload_too_large', `${part.fieldname}: longer than ${MEDIA_LIMITS.fieldBytes} bytes`, {
            field: part.fieldname,
          })
        fields.set(part.fieldname, [...(fields.get(part.fieldname) ?? []), String(part.value)])
        continue
      }
      if (part.fieldname !== FILE_FIELD)
        throw new AppError('validation_failed', `${part.fieldname}: unexpected file field; send the file as "${FILE_FIELD}"`, {
          field: part.fieldname,
        })
      const declared = acceptedType(part.mimetype)
      if (!declared)
        throw new AppError(
          'unsupported_media_type',
          `${part.mimetype || 'no content type'} is not an accepted type; accepted: ${ACCEPTED}`,
          {
            field: FILE_FIELD,
            contentType: part.mimetype,
          },
        )
      const max = maxBytesFor(MEDIA_TYPES[declared].kind)
      const target = path.join(dir, 'upload')
      let size = 0
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length
          if (size > max) return done(tooLarge(declared, max))
          done(null, chunk)
        },
      })
      await pipeline(part.file, counter, fs.createWriteStream(target))
      if (part.file.truncated) throw tooLarge(declared, max)
      file = { path: target, size, declared, filename: part.filename }
    }
  } catch (err) {
    await cleanup()
    throw asUploadError(err)
  }
  return { fields, file, cleanup }
}

const tooLarge = (declared: MediaType, max: number) =>
  new AppError('payload_too_large', `${FILE_FIELD}: ${MEDIA_TYPES[declared].kind} files may be at most ${mb(max)}`, {
    field: FILE_FIELD,
    maxBytes: max,
  })

/** Limits and malformed bodies are the client's doing; disk errors stay ours. */
function asUploadError(err: unknown): unknown {
  if (err instanceof AppError) return err
  const e = err as { code?: unknown; message?: unknown }
  switch (e.code) {
    case 'FST_FILES_LIMIT':
      return new AppError('validation_failed', `${FILE_FIELD}: send exactly one file part`, { field: FILE_FIELD })
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new AppError('payload_too_large', `Too many form fields (at most ${MEDIA_LIMITS.fields})`)
    case 'FST_REQ_FILE_TOO_LARGE':
      return new AppError('payload_too_large', `${FILE_FIELD}: files may be at most ${mb(MEDIA_LIMITS.videoBytes)}`, { field: FILE_FIELD })
    case 'FST_PROTO_VIOLATION':
    case 'FST_INVALID_JSON_FIELD_ERROR':
    case 'FST_MP_PREMATURE_CLOSE':
      return new AppError('bad_request', `The multipart body could not be read: ${String(e.message)}`)
  }
  // Errno codes (ENOSPC, EACCES) come from the temporary file: a server problem, not the client's.
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return err
  return new AppError(
    'bad_request',
    `The multipart body could not be read: ${typeof e.message === 'string' ? e.message.slice(0, 200) : 'malformed'}`,
  )
}
