import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { eventsNamed, openEventStream } from '../../../test/support/event-stream'
import { defineApp } from '../app'
import { eventStreams, type EventStreams } from './sse'
import type { RealtimeNotifier } from './notifier'

// A throwaway app whose stream beats every 50 ms, to see heartbeats without waiting 15 s.
let streams: EventStreams
const probe = defineApp({
  name: 'probe',
  migrationsDir: '/nonexistent',
  routes({ http, platform }) {
    streams = eventStreams(http, platform, { heartbeatMs: 50 })
    http.get('/stream/:userId', { schema: { params: z.object({ userId: z.uuid() }) } }, async (req, reply) =>
      streams.open(req, reply, { app: 'probe', userId: req.params.userId }),
    )
  },
})

describe('server-sent events', () => {
  let env: TestEnv
  let base: string
  beforeAll(async () => {
    env = await createTestEnv({ apps: [probe] })
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
