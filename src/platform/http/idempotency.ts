// Idempotency-Key on spending and purchasing routes, with the semantics payment APIs use
// (Stripe; IETF draft-ietf-httpapi-idempotency-key-header).
//
// OPTING A ROUTE IN: put `config: { idempotent: true }` on a route that has an auth guard.
//
//   http.post('/matches/:id/unlock', {
//     preHandler: guard(['client']),
//     config: { idempotent: true },
//     schema: { params, response: { 201: ..., 409: errorSchema, 422: errorSchema } },
//   }, handler)
//
// Nothing else is needed: registerIdempotency (called by buildHttp) sees the flag when the route
// is added and
//   - adds a required `Idempotency-Key` header (1-255 visible ASCII characters) to the route's
//     schema.headers, so it is validated (400 validation_failed naming headers.idempotency-key)
//     and documented in OpenAPI. Like any validation, this runs before the auth guard;
//   - appends a preHandler AFTER the route's own preHandlers (so after requireRole: the scope
//     needs req.claims), and an onSend hook that stores the first response.
// Document 409 and 422 in the route's responses. The handler can read the key from
// req.headers['idempotency-key'], e.g. to pass it on as the payment provider's idempotency key.
//
// Semantics:
//   scope      app + user (claims.sub) + method and route pattern; the same key may be reused by
//              another user or on another route without meeting.
//   hash       sha256 over method, route, params, query and body (canonical JSON: sorted keys).
//   first      the key is claimed ('running'); the response (status + exact body) is stored for
//              24 hours (platform.clock) when it is sent.
//   retry      same key and hash: the stored response again, byte for byte, with
//              `Idempotent-Replayed: true`.
//   reused     same key, different hash: 422 idempotency_key_reused.
//   concurrent same key while the first still runs: 409 idempotency_in_progress (retry later).
//   5xx        the first attempt's key is released, so a retry runs again.
//   expired    an expired key counts as absent. A claim whose request never answered (a crashed
//              process) is a lease of RUNNING_LEASE_MS, after which a retry may run again; the
//              services behind spending routes must stay safe to re-run (ours are: deterministic
//              purchase ids, unique unlocks).
//   4xx        stored and replayed like any answer (a decline stays a decline for that key).
import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { z } from 'zod'
import type { Platform } from '../platform'
import type { Http } from '../app'
import { AppError } from './errors'
import { DAY, addMs } from '../clock'
import { complete, findLive, release, tryClaim, type Claim } from '../ledger/idempotency-keys'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Require an Idempotency-Key header and replay the first response; see src/platform/http/idempotency.ts. */
    idempotent?: boolean
  }
}

export const IDEMPOTENCY_HEADER = 'idempotency-key'
export const REPLAYED_HEADER = 'idempotent-replayed'
/** How long a stored response is replayed. */
export const IDEMPOTENCY_TTL_MS = DAY
/** How long a claim holds the key while its request runs; far above any request's time limit. */
export const RUNNING_LEASE_MS = 5 * 60_000

export const idempotencyKeyHeader = z
  .string({ error: 'The Idempotency-Key header is required on this route' })
  .min(1, 'The Idempotency-Key header must not be empty')
  .max(255, 'The Idempotency-Key header is at most 255 characters')
  .regex(/^[\x21-\x7e]+$/, 'The Idempotency-Key header takes visible ASCII characters only (a UUID is a good key)')
  .describe(
    'Required. A unique key per operation (a UUID is a good choice). Retrying with the same key and body replays ' +
      'the first response (with Idempotent-Replayed: true) instead of doing the work twice; keys live for 24 hours.',
  )

const claims = new WeakMap<FastifyRequest, Claim & { settled: boolean }>()

export function registerIdempotency(http: Http, platform: Platform) {
  const db = platform.db.kysely

  async function claimKey(req: FastifyRequest, reply: FastifyReply) {
    const user = req.claims
    if (!user?.sub) throw new AppError('internal', 'An idempotent route needs an auth guard before it')
    const key = String(req.headers[IDEMPOTENCY_HEADER])
    const scope = `${user.app}:${user.sub}:${req.method} ${req.routeOptions.url}`
    const requestHash = hashRequest(req)
    // Two rounds: the row seen as taken may be released or expire before it is read.
    for (let round = 0; round < 2; round++) {
      const now = platform.clock.now()
      const claim = { scope, key, requestHash, claimedAt: now }
      if (await tryClaim(db, { ...claim, leaseUntil: addMs(now, RUNNING_LEASE_MS) })) {
        claims.set(req, { ...claim, settled: false })
        return
      }
      const live = await findLive(db, scope, key, now)
      if (!live) continue
      if (live.requestHash !== requestHash)
        throw new AppError('idempotency_key_reused', 'This Idempotency-Key was already used for a different request; use a new key', {
          header: 'Idempotency-Key',
        })
      if (live.status === 'running' || !live.response)
        throw new AppError('idempotency_in_progress', 'A request with this Idempotency-Key is still running; retry shortly', {
          header: 'Idempotency-Key',
        })
      reply.code(live.response.status).header(REPLAYED_HEADER, 'true').type(live.response.contentType).send(live.response.body)
      return reply
    }
    throw new AppError('idempotency_in_progress', 'This Idempotency-Key is busy; retry shortly', { header: 'Idempotency-Key' })
  }

  async function storeResponse(req: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const claim = claims.get(req)
    if (!claim || claim.settled) return payload
    claim.settled = true
    const body =
      typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : payload == null ? '' : undefined
    try {
      if (reply.statusCode >= 500 || body === undefined) {
        await release(db, claim)
      } else {
        const contentType = String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8')
        const expiresAt = addMs(platform.clock.now(), IDEMPOTENCY_TTL_MS)
        await complete(db, { ...claim, response: { status: reply.statusCode, contentType, body }, expiresAt })
      }
    } catch (err) {
      // The work is done and the answer goes out regardless; free the key rather than leave it busy.
      req.log.error({ err }, 'idempotency: could not store the response')
      await release(db, claim).catch(() => {})
    }
    return payload
  }

  // Safety net for a request that ends without onSend (e.g. the client went away mid-handler).
  async function releaseUnsettled(req: FastifyRequest) {
    const claim = claims.get(req)
    if (!claim || claim.settled) return
    claim.settled = true
    await release(db, claim).catch((err) => req.log.error({ err }, 'idempotency: could not release the key'))
  }

  http.addHook('onRoute', (route: RouteOptions) => {
    if (!route.config?.idempotent) return
    route.schema = { ...route.schema, headers: withKeyHeader(route) }
    route.preHandler = [...hooks(route.preHandler), claimKey] as RouteOptions['preHandler']
    route.onSend = [...hooks(route.onSend), storeResponse] as RouteOptions['onSend']
    route.onResponse = [...hooks(route.onResponse), releaseUnsettled] as RouteOptions['onResponse']
    route.onRequestAbort = [...hooks(route.onRequestAbort), releaseUnsettled] as RouteOptions['onRequestAbort']
  })
}

function hooks(h: unknown): unknown[] {
  return h === undefined ? [] : Array.isArray(h) ? h : [h]
}

function withKeyHeader(route: RouteOptions) {
  const existing = route.schema?.headers
  if (existing === undefined) return z.object({ [IDEMPOTENCY_HEADER]: idempotencyKeyHeader })
  if (existing instanceof z.ZodObject) return existing.extend({ [IDEMPOTENCY_HEADER]: idempotencyKeyHeader })
  throw new Error(`${route.method} ${route.url}: an idempotent route's headers schema must be a zod object`)
}

/** The request's identity for key reuse: method, route, params, query and body in canonical JSON. */
export function hashRequest(req: FastifyRequest): string {
  const identity = canonical([req.method, req.routeOptions.url, req.params ?? {}, req.query ?? {}, req.body ?? null])
  return createHash('sha256').update(identity).digest('hex')
}

export function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('base64'))
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
