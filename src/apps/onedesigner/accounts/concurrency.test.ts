// Parallel requests cannot overspend the wrong-code budget or use one code twice; one refresh
// token rotated in parallel (two tabs) keeps one session. Meaningful on a server (real
// concurrency); on PGlite they serialize.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { freshIp, post, requestCode, signIn, uniqueEmail, verify, wrong } from '../../../../test/support/onedesigner-accounts'

describe('accounts under parallel requests', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('20 parallel wrong codes from one address spend exactly its budget of 5', async () => {
    const ip = freshIp()
    const email = uniqueEmail('race')
    const code = await requestCode(env, email, 'client')
    const answers = await Promise.all(Array.from({ length: 20 }, () => verify(env, { email, type: 'client', code: wrong(code) }, ip)))
    const statuses = answers.map((a) => a.statusCode).sort()
    expect(statuses.filter((s) => s === 401)).toHaveLength(4)
    expect(statuses.filter((s) => s === 423)).toHaveLength(16)
    const rows = await env.platform.db.kysely.selectFrom('onedesigner.authTokens').select('attempts').where('email', '=', email).execute()
    expect(rows.reduce((n, r) => n + r.attempts!, 0)).toBe(5)
  })

  it('one right code used in parallel signs in once and creates one account', async () => {
    const email = uniqueEmail('twice')
    const code = await requestCode(env, email, 'designer')
    const answers = await Promise.all(Array.from({ length: 8 }, () => verify(env, { email, type: 'designer', code })))
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(1)
    expect(answers.filter((a) => a.statusCode === 401)).toHaveLength(7)
    const designers = await env.platform.db.kysely.selectFrom('onedesigner.designers').select('id').where('email', '=', email).execute()
    expect(designers).toHaveLength(1)
  })

  it('a refresh token rotated in parallel (tabs) gives each a live token of one session; reuse after the grace ends it', async () => {
    const s = await signIn(env, uniqueEmail('rotate'), 'client')
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(env, '/auth/refresh', { refreshToken: s.refreshToken })))
    expect(answers.map((a) => a.statusCode)).toEqual(Array(8).fill(200))
    const tokens = answers.map((a) => a.json().refreshToken as string)
    expect(new Set(tokens).size).toBe(8)
    const families = await env.platform.db.kysely
      .selectFrom('platform.refreshTokens')
      .select('family')
      .distinct()
      .where('userId', '=', s.user.id)
      .execute()
    expect(families).toHaveLength(1)
    // None was revoked by another: each rotates on.
    expect((await post(env, '/auth/refresh', { refreshToken: tokens[7] })).statusCode).toBe(200)
    // The original token presented after the grace window is reuse: the whole session ends.
    env.clock.advance(env.config.REFRESH_REUSE_GRACE_SECONDS * 1000 + 1)
    expect((await post(env, '/auth/refresh', { refreshToken: s.refreshToken })).statusCode).toBe(401)
    expect((await post(env, '/auth/refresh', { refreshToken: tokens[0] })).statusCode).toBe(401)
  })
})
