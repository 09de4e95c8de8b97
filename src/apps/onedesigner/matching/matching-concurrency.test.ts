// Concurrent match requests for one brief. Server only: PGlite is a single session, so its
// transactions never overlap and cannot deadlock.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestEnv, describeOnServer, type TestEnv } from '../../../../test/support/test-env'
import { aBrief, aClient, aDesigner, bearer, type TestUser } from '../../../../test/support/onedesigner'
import { HOUR } from '../../../platform'

describeOnServer('match requests for one brief at the same time', () => {
  let env: TestEnv
  let client: TestUser
  let briefId: string
  beforeAll(async () => {
    env = await createTestEnv({ config: { DATABASE_POOL_MAX: '30', USER_RATE_LIMIT_FACTOR: '0' } })
    client = await aClient(env.platform)
    for (let i = 0; i < 8; i++) await aDesigner(env.platform, { firstName: `D${i}` })
    briefId = (await aBrief(env.platform, client)).id
  })
  afterAll(() => env.close())

  const post = () => env.http.inject({ method: 'POST', url: `/v1/onedesigner/briefs/${briefId}/matches`, headers: bearer(client) })

  it('serves 100 simultaneous cache hits and recomputes without a deadlock (no 409)', async () => {
    expect((await post()).statusCode).toBe(200)
    for (let round = 0; round < 5; round++) {
      const statuses = (await Promise.all(Array.from({ length: 100 }, post))).map((r) => r.statusCode)
      expect(statuses.filter((s) => s !== 200)).toEqual([])
    }
    // Past the 24-hour cache: recomputes race with each other and with hits.
    env.clock.advance(25 * HOUR)
    const statuses = (await Promise.all(Array.from({ length: 60 }, post))).map((r) => r.statusCode)
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    const rows = await env.platform.db.kysely.selectFrom('onedesigner.matches').select('id').where('briefId', '=', briefId).execute()
    expect(rows.length).toBeLessThanOrEqual(5)
  })
})
