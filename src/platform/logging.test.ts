import { describe, expect, it } from 'vitest'
import { createTestEnv } from '../../test/support/test-env'
import { createLogger } from './platform'
import { testConfig } from './config'

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
})
