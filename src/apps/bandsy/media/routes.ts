// Media samples (/media-samples): upload an audio or video take as multipart/form-data, list and
// read the samples one may see, stream a sample's file, change or delete one's own.
import multipart from '@fastify/multipart'
import { validatorCompiler } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { type AppContext, type Http, errorSchema, idParams, AppError } from '../../../platform'
import { MEDIA_LIMITS, MEDIA_TYPES } from './formats'
import { probeMedia } from './probe'
import { FILE_FIELD, readUpload } from './upload'
import * as samples from './service'

const tags = ['media samples']

const formatSchema = z
  .object({
    container: z.string().nullable(),
    codec: z.string().nullable(),
    bitrate: z.number().nullable().describe('bits per second'),
    sampleRate: z.number().nullable().describe('Hz'),
    channels: z.number().nullable(),
    size: z.number().int().describe('bytes'),
    contentType: z.string(),
  })
  .meta({ id: 'BandsyMediaFormat' })

const sampleSchema = z
  .object({
    id: z.uuid(),
    userId: z.uuid(),
    title: z.string(),
    description: z.string().nullable(),
    instrumentId: z.uuid().nullable(),
    fileUrl: z.string().describe('GET it (with your token) for the file'),
    fileType: z.enum(['audio', 'video']),
    duration: z.number().int().nullable().describe('Seconds, read from the file'),
    metadata: formatSchema.nullable(),
    isPublic: z.boolean(),
    genres: z.array(z.object({ id: z.uuid(), name: z.string() })),
    createdAt: z.date(),
  })
  .meta({ id: 'BandsyMediaSample' })

const title = z.string().trim().min(1).max(200)
const description = z.string().max(5000).nullable()
const genreIds = z.array(z.uuid()).max(MEDIA_LIMITS.genres)

/** The upload's text fields, as the form sends them (all strings). Documentation and validation. */
const uploadFields = z
  .object({
    title,
    description: z.string().max(5000).optional(),
    instrumentId: z.uuid().optional(),
    isPublic: z.enum(['true', 'false']).default('true'),
    genreIds: z
      .array(z.string())
      .optional()
      .transform((v) =>
        (v ?? [])
          .flatMap((s) => s.split(','))
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(genreIds)
      .describe('Repeat the field, or send one comma-separated list'),
  })
  .strict()

const uploadForm = z
  .object({
    title: z.string(),
    description: z.string().optional(),
    instrumentId: z.uuid().optional(),
    isPublic: z.enum(['true', 'false']).optional(),
    genreIds: z.array(z.uuid()).optional(),
    [FILE_FIELD]: z
      .string()
      .meta({ format: 'binary' })
      .describe(`The audio or video file; accepted: ${Object.keys(MEDIA_TYPES).join(', ')}`),
  })
  .meta({ id: 'BandsyMediaSampleUpload' })

const REPEATABLE = new Set(['genreIds'])

function parseFields(fields: Map<string, string[]>) {
  const raw: Record<string, unknown> = {}
  for (const [name, values] of fields) {
    if (!REPEATABLE.has(name) && values.length > 1)
      throw new AppError('validation_failed', `body.${name}: send it once`, [{ field: `body.${name}` }])
    raw[name] = REPEATABLE.has(name) ? values : values[0]
  }
  const parsed = uploadFields.safeParse(raw)
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({
      field: ['body', ...i.path.map(String), ...('keys' in i ? [String((i as { keys: string[] }).keys[0])] : [])].join('.'),
      message: i.message,
    }))
    throw new AppError('validation_failed', `${details[0]!.field}: ${details[0]!.message}`, details)
  }
  return parsed.data
}

export async function mediaSampleRoutes(ctx: AppContext) {
  // Its own scope: the multipart parser exists for these routes only.
  await ctx.http.register(async (scope: Http) => {
    await scope.register(multipart, { limits: { files: 1, fields: MEDIA_LIMITS.fields, fieldSize: MEDIA_LIMITS.fieldBytes } })
    routes({ ...ctx, http: scope })
  })
}

function routes({ http, platform, guard }: AppContext) {
  const own = { preHandler: guard(['musician']) }

  http.post(
    '/media-samples',
    {
      ...own,
      config: { limit: { name: 'uploads', points: 30, perSeconds: 3600 } },
      // The form is read by the handler as it streams; the body schema documents it, and only a
      // JSON body sent by mistake is held to it.
      validatorCompiler: (route) =>
        route.httpPart === 'body'
          ? () => ({ value: undefined })
          : validatorCompiler(route as unknown as Parameters<typeof validatorCompiler>[0]),
      schema: {
        tags,
        summary: 'Upload an audio or video sample',
        description:
          'multipart/form-data with text fields and one file part named `file`. The file type is checked by its declared ' +
          'content type and by its bytes (a file whose content is not what it claims is refused with 415). Audio files may be ' +
          `up to ${MEDIA_LIMITS.audioBytes / 1024 / 1024} MB, video files up to ${MEDIA_LIMITS.videoBytes / 1024 / 1024} MB (413 above). ` +
          'The duration and format are read from the file.',
        consumes: ['multipart/form-data'],
        body: uploadForm,
        response: {
          201: sampleSchema,
          404: errorSchema,
          413: errorSchema.describe('File or a field too large, or the file would take you past your storage quota (quota_exceeded)'),
          415: errorSchema.describe('Not multipart, or the file is not an accepted audio/video type'),
          422: errorSchema.describe(
            'A recognised file that cannot be decoded (no stream, no length, truncated); the message names the problem',
          ),
        },
      },
    },
    async (req, reply) => {
      const upload = await readUpload(req)
      try {
        const fields = parseFields(upload.fields)
        if (!upload.file)
          throw new AppError('validation_failed', `body.${FILE_FIELD}: a file part is required`, [{ field: `body.${FILE_FIELD}` }])
        const media = await probeMedia(upload.file.path, upload.file.size, upload.file.declared)
        const sample = await samples.createSample(
          platform,
          req.claims,
          {
            title: fields.title,
            description: fields.description ?? null,
            instrumentId: fields.instrumentId ?? null,
            isPublic: fields.isPublic === 'true',
            genreIds: fields.genreIds,
          },
          upload.file,
          media,
        )
        return reply.code(201).send(sample)
      } finally {
        await upload.cleanup()
      }
    },
  )

  http.get(
    '/media-samples',
    {
      ...own,
      schema: {
        tags,
        summary: "A musician's samples (yours by default)",
        description:
          "Others' private samples and samples of deleted accounts are not listed. Newest first; pages with `limit` and `cursor`.",
        querystring: z.object({
          userId: z.uuid().optional().describe('Whose samples; default: yours'),
          genreId: z.uuid().optional(),
          instrumentId: z.uuid().optional(),
          limit: z.coerce.number().int().min(1).max(100).default(20),
          cursor: z.uuid().optional().describe('nextCursor from the previous page'),
        }),
        response: { 200: z.object({ samples: z.array(sampleSchema), nextCursor: z.uuid().nullable() }), 404: errorSchema },
      },
    },
    async (req) => samples.listSamples(platform, req.claims, req.query),
  )

  http.get(
    '/media-samples/:id',
    { ...own, schema: { tags, summary: 'One sample', params: idParams, response: { 200: sampleSchema, 404: errorSchema } } },
    async (req) => samples.getSample(platform, req.claims, req.params.id),
  )

  http.get(
    '/media-samples/:id/file',
    {
      ...own,
      schema: {
        tags,
        summary: "A sample's audio or video file",
        description: 'Streams the file with its content type. A single `Range: bytes=a-b` gets 206 with that part (for seeking).',
        params: idParams,
        headers: z.object({ range: z.string().max(200).optional() }),
        response: { 200: z.string().describe('The file bytes'), 206: z.string().describe('The requested bytes'), 404: errorSchema },
      },
    },
    async (req, reply) => {
      const file = await samples.openSampleFile(platform, req.claims, req.params.id, req.headers.range)
      // A stream is sent as it is: Fastify does not serialize it against the schema.
      reply.header('content-type', file.contentType).header('accept-ranges', 'bytes').header('cache-control', 'private, max-age=0')
      if (!file.range)
        return reply
          .code(200)
          .header('content-length', file.size)
          .send(file.body as unknown as string)
      const { start, end } = file.range
      return reply
        .code(206)
        .header('content-range', `bytes ${start}-${end}/${file.size}`)
        .header('content-length', end - start + 1)
        .send(file.body as unknown as string)
    },
  )

  http.patch(
    '/media-samples/:id',
    {
      ...own,
      schema: {
        tags,
        summary: 'Change your sample',
        description: '`genreIds` replaces the tags. Only the uploader may change a sample (403 for others who can see it).',
        params: idParams,
        body: z.object({ title, description, isPublic: z.boolean(), instrumentId: z.uuid().nullable(), genreIds }).partial().strict(),
        response: { 200: sampleSchema, 404: errorSchema },
      },
    },
    async (req) => samples.updateSample(platform, req.claims, req.params.id, req.body),
  )

  http.delete(
    '/media-samples/:id',
    {
      ...own,
      schema: {
        tags,
        summary: 'Delete your sample and its file',
        params: idParams,
        response: { 204: z.null(), 404: errorSchema },
      },
    },
    async (req, reply) => {
      await samples.deleteSample(platform, req.claims, req.params.id)
      return reply.code(204).send(null)
    },
  )
}
