import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { eventsNamed, openEventStream } from '../../../test/support/event-stream'
import { defineApp } from '../app'
import { eventStreams, type EventStreams } from './sse'
import type { RealtimeNotifier } from './notifier'
import { createSessions } from '../auth/sessions'

// A throwaway app whose stream beats every 50 ms, to see heartbeats without waiting 15 s.
let streams: EventStreams
const probe = defineApp({
  name: 'probe',
  migrationsDir: '/nonexistent',
  routes({ http, platform, guard }) {
    streams = eventStreams(http, platform, { heartbeatMs: 50 })
    http.get('/stream/:userId', { schema: { params: z.object({ userId: z.uuid() }) } }, async (req, reply) =>
      streams.open(req, reply, { app: 'probe', userId: req.params.userId }),
    )
    // As the apps' stream routes are: guarded, the token in the query.
    http.get(
      '/my-stream',
      { preHandler: guard(['member'], { queryToken: true }), schema: { querystring: z.object({ access_token: z.string().optional() }) } },
      async (req, reply) => streams.open(req, reply, { app: 'probe', userId: req.claims.sub }),
    )
  },
})

describe('server-sent events', () => {
  let env: TestEnv
  let base: string
  beforeAll(async () => {
    env = await createTestEnv({ apps: [probe], config: { EVENT_STREAMS_PER_USER: '2' } })
    base = await env.http.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => env.close())

  const publish = (userId: string, type: string, data: Record<string, unknown>) =>
    env.platform.db.kysely.transaction().execute((tx) => env.platform.notify.publish(tx, { app: 'probe', userId, type, data }))

  it('streams events with an opening comment and heartbeats, and unsubscribes when the client leaves', async () => {
    const userId = randomUUID()
    const stream = await openEventStream(`${base}/v1/probe/stream/${userId}`, { 'x-request-id': 'sse-1' })
    expect(stream.status).toBe(200)
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(stream.headers.get('cache-control')).toContain('no-cache')
    expect(stream.headers.get('x-request-id')).toBe('sse-1')
    await stream.until((t) => t.includes(': connected\n\n'))
    await stream.until((t) => t.includes(': heartbeat\n\n'))
    expect((env.platform.notify as RealtimeNotifier).subscriberCount('probe', userId)).toBe(1)

    await publish(userId, 'match.updated', { matchId: 'm-1' })
    await publish(randomUUID(), 'match.updated', { matchId: 'not-yours' })
    await publish(userId, 'notification', { id: 'n-1', type: 'x' })
    const text = await stream.until((t) => t.includes('event: notification'))
    expect(eventsNamed(text, 'match.updated')).toEqual([{ matchId: 'm-1' }])
    expect(eventsNamed(text, 'notification')).toEqual([{ id: 'n-1', type: 'x' }])
    expect(text).toMatch(/id: 1\nevent: match.updated\n/)

    stream.close()
    await expect.poll(() => (env.platform.notify as RealtimeNotifier).subscriberCount('probe', userId)).toBe(0)
    await expect.poll(() => streams.count()).toBe(0)
  })

  const signIn = (userId = randomUUID()) =>
    createSessions(env.platform, 'probe').start(env.platform.db.kysely, { id: userId, role: 'member', email: 'm@example.test' })
  const myStream = (accessToken: string) => openEventStream(`${base}/v1/probe/my-stream?access_token=${accessToken}`)
  const ends = async (stream: Awaited<ReturnType<typeof openEventStream>>) => {
    await expect(stream.until(() => false, 3_000)).rejects.toThrow(/ended/)
    return stream.text()
  }

  it('a stream ends when its session ends (logout), with a last session.ended event', async () => {
    const session = await signIn()
    const stream = await myStream(session.accessToken)
    expect(stream.status).toBe(200)
    await stream.until((t) => t.includes(': connected'))
    await createSessions(env.platform, 'probe').end(session.refreshToken)
    const text = await ends(stream)
    expect(eventsNamed(text, 'session.ended')).toEqual([{ reason: 'revoked' }])
    await expect.poll(() => (env.platform.notify as RealtimeNotifier).subscriberCount('probe', session.user.id)).toBe(0)
    // Reconnecting with the same token is refused.
    expect((await fetch(`${base}/v1/probe/my-stream?access_token=${session.accessToken}`)).status).toBe(401)
  })

  it("a stream ends when its user's sessions are ended (account deleted, role removed)", async () => {
    const session = await signIn()
    const stream = await myStream(session.accessToken)
    await stream.until((t) => t.includes(': connected'))
    await createSessions(env.platform, 'probe').endAllForUser(env.platform.db.kysely, session.user.id)
    expect(eventsNamed(await ends(stream), 'session.ended')).toEqual([{ reason: 'revoked' }])
  })

  it('a stream ends when its access token expires (on the platform clock)', async () => {
    const session = await signIn()
    const stream = await myStream(session.accessToken)
    await stream.until((t) => t.includes(': heartbeat'))
    env.clock.advance(env.config.JWT_TTL_SECONDS * 1000)
    expect(eventsNamed(await ends(stream), 'session.ended')).toEqual([{ reason: 'expired' }])
  })

  it('caps the streams one user holds open (EVENT_STREAMS_PER_USER); closing one frees a slot', async () => {
    const session = await signIn()
    const first = await myStream(session.accessToken)
    const second = await myStream(session.accessToken)
    await first.until((t) => t.includes(': connected'))
    await second.until((t) => t.includes(': connected'))
    const third = await fetch(`${base}/v1/probe/my-stream?access_token=${session.accessToken}`)
    expect(third.status).toBe(429)
    expect(await third.json()).toMatchObject({ error: { code: 'rate_limited', details: { limit: 2 } } })
    // Another user is not affected.
    const other = await myStream((await signIn()).accessToken)
    expect(other.status).toBe(200)
    other.close()
    first.close()
    await expect
      .poll(async () => {
        const again = await fetch(`${base}/v1/probe/my-stream?access_token=${session.accessToken}`)
        await again.body?.cancel()
        return again.status
      })
      .toBe(200)
    second.close()
  })

  it('a bad parameter is still a JSON 400, not a stream', async () => {
    const res = await fetch(`${base}/v1/probe/stream/not-a-uuid`)
    expect(res.status).toBe(400)
    expect((await res.json()).error.code).toBe('validation_failed')
  })

  it('closing the server ends open streams instead of waiting on them', async () => {
    const own = await createTestEnv({ apps: [probe] })
    const url = await own.http.listen({ port: 0, host: '127.0.0.1' })
    const stream = await openEventStream(`${url}/v1/probe/stream/${randomUUID()}`)
    await stream.until((t) => t.includes(': connected'))
    const t0 = Date.now()
    await own.close()
    expect(Date.now() - t0).toBeLessThan(3_000)
    await expect(stream.until(() => false, 2_000)).rejects.toThrow(/ended|aborted|terminated/)
  })
})
