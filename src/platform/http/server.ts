// Fastify with zod schemas and OpenAPI. Every error leaves as { error: { code, message, details } }.
import { randomUUID, timingSafeEqual } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import Fastify, { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import cors from '@fastify/cors'
import helmet from 'helmet'
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
  jsonSchemaTransform,
  serializerCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod'
import { z } from 'zod'
import client from 'prom-client'
import { sql } from 'kysely'
import type { Platform } from '../platform'
import type { AppModule, Http } from '../app'
import { AppError, ERROR_STATUS, type ErrorCode, fromPostgresError, isConnectionError, isQueryTimeout, type ErrorBody } from './errors'
import { readMailbox } from '../auth/mailer'
import { registerIdempotency } from './idempotency'
import { appTags, createAppContext, guardedRoutes } from './app-context'
import { usedComponentsOnly } from './components'
import { userLimits } from './user-limits'
import { strictQueries, strictValidatorCompiler } from './strict-input'
import type { Claims } from '../db/with-user'
import { watchDatabase } from '../ops/monitoring/metrics'
import { archiveAdminRoutes } from '../ops/retention/admin-routes'
import { gdprRoutes } from '../ops/gdpr/routes'
import { registerAccessLog } from '../ops/logs/access-log'

declare module 'fastify' {
  interface FastifyRequest {
    /** Verified token claims; set by the auth guard on protected routes. */
    claims: Claims
  }
}

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().describe('One of the closed list of error codes'),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' })

export interface BuildOptions {
  /** Mount /docs (Swagger UI). */
  docs?: boolean
  /** Load and follow the session revocation list (default true; off when only the document is wanted). */
  revocations?: boolean
}

export async function buildHttp(platform: Platform, apps: AppModule[], opts: BuildOptions = {}): Promise<Http> {
  const http = Fastify({
    loggerInstance: platform.log,
    // A caller's X-Request-Id is kept only in a bounded, safe form: it is echoed, logged and stored
    // in the audit log, so anything else (a megabyte, a newline, markup) gets an id of ours.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID()
    },
    // Errors of Node's HTTP parser (a header too large, a malformed request line) answer in our
    // error shape too; the connection is closed, as the parser cannot go on.
    clientErrorHandler: answerClientError,
    bodyLimit: 1_048_576,
    // req.ip (the per-address limits) is the client as the configured proxies report it; with no
    // proxy trusted, X-Forwarded-For is ignored, since anyone can send it.
    trustProxy: platform.config.TRUST_PROXY,
    // A request must arrive whole within REQUEST_TIMEOUT_MS (its headers within HEADERS_TIMEOUT_MS),
    // else 408 in our shape (answerClientError) and the connection closes. Node checks these only
    // every connectionsCheckingInterval (30 s by default), so that is tightened to match.
    requestTimeout: platform.config.REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: Math.min(platform.config.HEADERS_TIMEOUT_MS, platform.config.REQUEST_TIMEOUT_MS),
      requestTimeout: platform.config.REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1_000, Math.floor(platform.config.HEADERS_TIMEOUT_MS / 4)),
    },
    // Two info lines per request cost about a quarter of a simple read's throughput (see
    // docs/benchmarks.md, "Load and soak"); request lines come back at LOG_LEVEL=debug. Errors
    // are still logged, and per-route counts and durations are in /metrics.
    logController: new LogController({ disableRequestLogging: !platform.log.isLevelEnabled('debug') }),
    // A URL the router cannot decode or a path parameter past maxParamLength: our error shape too.
    frameworkErrors: (err, req, reply) => sendError(platform, err, req, reply),
  }).withTypeProvider<ZodTypeProvider>()

  // JSON nested deeper than any body of ours is refused before parsing: the recursive code after
  // the parser (validation, idempotency hashing, jsonb) would run out of stack on 10,000 levels.
  const parseJson = http.getDefaultJsonParser('error', 'error')
  http.removeContentTypeParser('application/json')
  http.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (jsonNestsDeeperThan(body as string, MAX_JSON_DEPTH))
      return done(new AppError('invalid_json', `The request body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined)
    // Given a done callback, the default parser answers through it and returns nothing.
    void parseJson(req, body as string, done)
  })

  // Unknown body fields and query parameters are refused, for every route (strict-input.ts).
  http.setValidatorCompiler(strictValidatorCompiler)
  http.setSerializerCompiler(serializerCompiler)
  http.decorateRequest('claims', null as unknown as Claims)
  // Hooks on every request are callback-style, not async: no promise per hook per request.
  http.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id)
    done()
  })

  await http.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Matchbase API',
        version: '0.1.0',
        description:
          'Matchbase serves several matching marketplaces from one PostgreSQL-backed platform. ' +
          'Routes live under /v1/<app>. Errors are always { error: { code, message, details } }.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: usedComponentsOnly,
  })
  await registerBrowserPolicy(http, platform)
  // staticCSP: the docs page sends its own policy, which lets its bundled scripts and styles run.
  if (opts.docs !== false) await http.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })

  http.setErrorHandler((err, req, reply) => sendError(platform, err, req, reply))
  http.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: { code: 'not_found', message: `No route for ${req.method} ${req.url.split('?')[0]}` } })
  })

  registerMetrics(http, platform)
  registerAccessLog(http, platform)
  registerHealth(http, platform)
  strictQueries(http)
  guardedRoutes(http)
  userLimits(http, platform)
  registerIdempotency(http, platform)
  if (platform.config.devEndpoints) registerDevRoutes(http, platform)
  // Access tokens of ended sessions are refused from memory (auth/revocations.ts): load the list
  // and follow its broadcasts before answering anyone.
  if (opts.revocations !== false) {
    await platform.revocations.start()
    http.addHook('onClose', async () => platform.revocations.stop())
  }

  for (const app of apps) {
    await http.register(
      async (scope) => {
        appTags(scope as Http, app.name)
        const ctx = createAppContext(app.name, scope as Http, platform)
        await app.routes(ctx)
        // Platform routes every app gets, under its prefix and guard.
        if (app.hasAdmins) await archiveAdminRoutes(ctx)
        await gdprRoutes(apps)(ctx)
      },
      { prefix: `/v1/${app.name}` },
    )
  }
  return http
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

const PARSER_ERRORS: Record<string, [ErrorCode, string]> = {
  HPE_HEADER_OVERFLOW: ['headers_too_large', 'The request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: ['request_timeout', 'The request took too long to arrive'],
}

function answerClientError(err: NodeJS.ErrnoException, socket: Socket) {
  if (!socket.writable) return socket.destroy()
  const [code, message] = PARSER_ERRORS[err.code ?? ''] ?? ['bad_request', 'The request could not be parsed as HTTP']
  const status = ERROR_STATUS[code]
  const body = JSON.stringify({ error: { code, message } })
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

const LOCAL_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/

/**
 * What browsers may do with the API. CORS: the origins in CORS_ORIGINS (in development also any
 * page on localhost), bearer tokens rather than cookies, so no credentials; a preflight from any
 * other origin is answered without permission rather than with a 404. Helmet: a JSON API needs no
 * scripts, frames or plugins, so the default policy allows nothing (the docs page sets its own).
 */
async function registerBrowserPolicy(http: Http, platform: Platform) {
  const listed = platform.config.CORS_ORIGINS.split(',')
    .map((o) => o.trim())
    .filter(Boolean)
  const allowed = (origin: string) => listed.includes(origin) || (!platform.config.isProduction && LOCAL_ORIGIN.test(origin))
  await http.register(cors, {
    origin: (origin, cb) => cb(null, origin !== undefined && allowed(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id', 'last-event-id'],
    exposedHeaders: ['x-request-id', 'idempotent-replayed', 'retry-after', 'location'],
    maxAge: 600,
  })
  // Helmet itself, made once: @fastify/helmet builds a new helmet (and parses its policy) on every
  // request, which the CPU profile of a read showed (docs/benchmarks.md, "The request path").
  const securityHeaders = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    // Files and JSON may be read by the configured front ends on other origins.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  })
  // Headers a route sets itself (the docs page's own policy) win: Fastify writes its headers last.
  http.addHook('onRequest', (req, reply, done) => securityHeaders(req.raw, reply.raw, (err) => done(err as Error | undefined)))
}

/** Deepest nesting of arrays and objects a JSON body may have. */
export const MAX_JSON_DEPTH = 64

/** Whether a JSON text nests arrays/objects deeper than max (brackets inside strings do not count). */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err
  if (hasZodFastifySchemaValidationErrors(err)) {
    const ctx = (err as { validationContext?: string }).validationContext ?? 'body'
    const details = err.validation.flatMap((v) => {
      const at = [
        ctx,
        ...String(v.instancePath ?? '')
          .split('/')
          .filter(Boolean),
      ]
      // A strict object's stranger keys: name each one, as for every other unknown field.
      const keys = v.keyword === 'unrecognized_keys' ? (v.params as { keys?: unknown }).keys : undefined
      if (Array.isArray(keys) && keys.length) return keys.map((k) => ({ field: [...at, String(k)].join('.'), message: 'unknown field' }))
      return [{ field: at.join('.'), message: v.message }]
    })
    const first = details[0]
    return new AppError('validation_failed', first ? `${first.field}: ${first.message}` : 'Invalid request', details)
  }
  const fe = err as FastifyError & { code?: string }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_json', `The request body is not valid JSON: ${fe.message}`)
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'The request body is too large')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('unsupported_media_type', `Unsupported content type: ${fe.message}`)
    case 'FST_ERR_VALIDATION':
      return new AppError('validation_failed', fe.message)
    // Their messages quote the whole path, which may be megabytes of the caller's own input.
    case 'FST_ERR_BAD_URL':
      return new AppError('bad_request', 'The URL is not valid: a percent-encoded part does not decode')
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new AppError('bad_request', 'A path parameter is too long')
  }
  if (err instanceof SyntaxError && (fe.statusCode === 400 || /JSON/.test(err.message)))
    return new AppError('invalid_json', `The request body is not valid JSON: ${err.message}`)
  const pgError = fromPostgresError(err as { code?: string })
  if (pgError) return pgError
  if (isQueryTimeout(err)) return new AppError('timeout', 'The database took too long to answer')
  if (isConnectionError(err)) return new AppError('unavailable', 'The database is unavailable, please retry')
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
    return new AppError(
      fe.statusCode === 404
        ? 'not_found'
        : fe.statusCode === 413
          ? 'payload_too_large'
          : fe.statusCode === 415
            ? 'unsupported_media_type'
            : 'bad_request',
      fe.message,
    )
  return new AppError('internal', 'Internal error')
}

export function sendError(platform: Platform, err: unknown, req: FastifyRequest, reply: FastifyReply) {
  const appError = toAppError(err)
  if (appError.status >= 500) {
    const level = appError.code === 'unavailable' ? 'warn' : 'error'
    req.log[level]({ err, serialization: isResponseSerializationError(err) }, 'request failed')
  }
  if (appError.code === 'unavailable') reply.header('retry-after', '1')
  const retryAfter = (appError.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter))
  const body: ErrorBody = { error: { code: appError.code, message: appError.message } }
  if (appError.details !== undefined) body.error.details = appError.details
  return reply.code(appError.status).send(body)
}

function registerHealth(http: Http, platform: Platform) {
  const ok = z.object({ status: z.string() })
  http.get('/healthz', { schema: { hide: true, response: { 200: ok } } }, async () => ({ status: 'ok' }))
  http.get('/readyz', { schema: { hide: true, response: { 200: ok, 503: errorSchema } } }, async () => {
    try {
      await sql`select 1`.execute(platform.db.kysely)
      return { status: 'ready' }
    } catch (err) {
      // The driver's message names hosts, ports and users: it goes to the log, not to the caller.
      platform.log.warn({ err }, 'readiness: database not reachable')
      throw new AppError('unavailable', 'Database not reachable')
    }
  })
}

const httpDuration = new client.Histogram({
  name: 'matchbase_http_request_duration_seconds',
  help: 'HTTP request duration by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
})
let defaultMetrics = false

function registerMetrics(http: Http, platform: Platform) {
  if (!defaultMetrics) {
    client.collectDefaultMetrics()
    defaultMetrics = true
  }
  http.addHook('onResponse', (req, reply, done) => {
    httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    )
    done()
  })
  const unwatch = watchDatabase(platform)
  http.addHook('onClose', (_instance, done) => {
    unwatch()
    done()
  })
  // Route names, error rates and process figures are for operators: behind METRICS_TOKEN when set,
  // open in development, and not served at all in production without a token.
  const token = platform.config.METRICS_TOKEN
  if (!token && platform.config.isProduction) return
  const expected = token ? Buffer.from(`Bearer ${token}`) : undefined
  http.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    if (expected) {
      const given = Buffer.from(req.headers.authorization ?? '')
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        throw new AppError('unauthorized', 'Metrics need Authorization: Bearer <METRICS_TOKEN>')
    }
    reply.header('content-type', client.register.contentType)
    return client.register.metrics()
  })
}

function registerDevRoutes(http: Http, platform: Platform) {
  http.get(
    '/v1/dev/mailbox',
    {
      schema: {
        hide: true,
        tags: ['dev'],
        summary: 'Read the dev mailbox (development only)',
        querystring: z.object({ email: z.string().email() }),
        response: {
          200: z.object({
            messages: z.array(z.object({ id: z.number(), sentAt: z.date(), subject: z.string(), text: z.string() })),
          }),
        },
      },
    },
    async (req) => {
      const rows = await readMailbox(platform.db.kysely, req.query.email)
      return { messages: rows.map((r) => ({ id: r.id, sentAt: r.sentAt, subject: r.subject, text: r.textBody })) }
    },
  )
}
