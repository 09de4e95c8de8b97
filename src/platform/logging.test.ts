import { describe, expect, it } from 'vitest'
import { createTestEnv } from '../../test/support/test-env'
import { openEventStream } from '../../test/support/event-stream'
import { aMusician } from '../../test/support/bandsy'
import { createLogger, redactUrl } from './platform'
import { testConfig } from './config'
import { createSessions } from './auth/sessions'

describe('request logs', () => {
  // Request lines are logged at debug (off at info for throughput: docs/benchmarks.md).
  it('carry the request id and never a token from the query string or the Authorization header', async () => {
    const lines: string[] = []
    const log = createLogger(testConfig({ LOG_LEVEL: 'debug' }), { write: (s: string) => void lines.push(s) })
    const env = await createTestEnv({ overrides: { log } })
    try {
      await env.http.inject({
        method: 'GET',
        url: '/v1/onedesigner/stream?access_token=SECRET-QUERY-TOKEN&x=1',
        headers: { authorization: 'Bearer SECRET-HEADER-TOKEN', 'x-request-id': 'trace-42' },
      })
      const text = lines.join('')
      expect(text).toContain('trace-42')
      expect(text).toContain('access_token=[redacted]')
      expect(text).not.toContain('SECRET-QUERY-TOKEN')
      expect(text).not.toContain('SECRET-HEADER-TOKEN')
    } finally {
      await env.close()
    }
  })

  it('of a real event stream (opened, closed, refused) never carry its ?access_token=, however the name is spelled', async () => {
    const lines: string[] = []
    const log = createLogger(testConfig({ LOG_LEVEL: 'debug' }), { write: (s: string) => void lines.push(s) })
    const env = await createTestEnv({ overrides: { log } })
    try {
      const base = await env.http.listen({ port: 0, host: '127.0.0.1' })
      const m = await aMusician(env.platform)
      const sessions = createSessions(env.platform, 'bandsy')
      const s = await sessions.start(env.platform.db.kysely, { id: m.id, role: 'musician', email: m.email })
      // The query parser decodes names, so access%5Ftoken is read as access_token: a working token.
      for (const name of ['access_token', 'access%5Ftoken']) {
        const stream = await openEventStream(`${base}/v1/bandsy/stream?${name}=${s.accessToken}`, { 'x-request-id': `sse-${name}` })
        expect(stream.status).toBe(200)
        await stream.until((t) => t.includes(': connected'))
        stream.close()
      }
      await expect.poll(() => lines.filter((l) => l.includes('event stream closed')).length).toBe(2)
      // Refused (a bad token, then an ended session): the error and response lines.
      await (await fetch(`${base}/v1/bandsy/stream?access_token=${s.accessToken}x`)).text()
      await sessions.end(s.refreshToken)
      await (await fetch(`${base}/v1/bandsy/stream?access_token=${s.accessToken}`)).text()
      await expect.poll(() => lines.filter((l) => l.includes('request completed')).length).toBeGreaterThanOrEqual(2)

      const text = lines.join('')
      expect(text).toContain('sse-access_token')
      expect(text).toContain('event stream opened')
      expect(text).toContain('access%5Ftoken=[redacted]')
      // Neither the token nor its signature, in any line.
      expect(text).not.toContain(s.accessToken.split('.')[2])
      expect(text).not.toContain(s.accessToken.split('.')[1])
    } finally {
      await env.close()
    }
  })

  it('redact credential parameters by their decoded name and leave the rest', () => {
    expect(redactUrl('/s?a=1&access_token=T&b=2')).toBe('/s?a=1&access_token=[redacted]&b=2')
    expect(redactUrl('/s?access%5ftoken=T')).toBe('/s?access%5ftoken=[redacted]')
    expect(redactUrl('/s?ACCESS_TOKEN=T&code=1&refresh_token=R')).toBe(
      '/s?ACCESS_TOKEN=[redacted]&code=[redacted]&refresh_token=[redacted]',
    )
    expect(redactUrl('/s?bad%E0=1&tokens=2')).toBe('/s?bad%E0=1&tokens=2')
    expect(redactUrl('/plain')).toBe('/plain')
  })
})
