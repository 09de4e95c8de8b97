import { createHash, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { createRefreshTokens, type RefreshTokens } from './refresh-tokens'

describe('refresh tokens', () => {
  let env: TestEnv
  let tokens: RefreshTokens
  beforeAll(async () => {
    env = await createTestEnv({ apps: [] })
    tokens = createRefreshTokens(env.platform, 'onedesigner')
  })
  afterAll(() => env.close())

  const owner = () => ({ userId: randomUUID(), role: 'client' })
  const pastGrace = () => env.clock.advance(env.config.REFRESH_REUSE_GRACE_SECONDS * 1000 + 1)
  const rows = (userId: string) =>
    env.platform.db.kysely.selectFrom('platform.refreshTokens').selectAll().where('userId', '=', userId).orderBy('createdAt').execute()
  const rejects = (token: string, message: RegExp) =>
    expect(tokens.rotate(token)).rejects.toMatchObject({ code: 'unauthorized', message: expect.stringMatching(message) })

  it('stores only the SHA-256 of the token, with the expiry REFRESH_TTL_DAYS ahead', async () => {
    const o = owner()
    const { token, expiresAt } = await tokens.issue(env.platform.db.kysely, o)
    const [row] = await rows(o.userId)
    expect(row.tokenHash).toBe(createHash('sha256').update(token).digest('hex'))
    expect(JSON.stringify(row)).not.toContain(token)
    expect(expiresAt.getTime() - env.clock.now().getTime()).toBe(env.config.REFRESH_TTL_DAYS * 86_400_000)
    expect(row).toMatchObject({ app: 'onedesigner', role: 'client', revokedAt: null, replacedBy: null })
  })

  it('rotates: revokes the old token and links it to its successor', async () => {
    const o = owner()
    const first = await tokens.issue(env.platform.db.kysely, o)
    const second = await tokens.rotate(first.token)
    expect(second).toMatchObject({ userId: o.userId, role: 'client' })
    const all = await rows(o.userId)
    const hashOf = (t: string) => createHash('sha256').update(t).digest('hex')
    const old = all.find((r) => r.tokenHash === hashOf(first.token))!
    const next = all.find((r) => r.tokenHash === hashOf(second.token))!
    expect(old.revokedAt).not.toBeNull()
    expect(old.replacedBy).toBe(next.id)
    expect(next.revokedAt).toBeNull()
    expect(next.family).toBe(old.family)
    expect(second.family).toBe(old.family)
    pastGrace()
    await rejects(first.token, /already used/)
  })

  it('revokes the whole family when a rotated token is replayed', async () => {
    const o = owner()
    const t1 = await tokens.issue(env.platform.db.kysely, o)
    const t2 = await tokens.rotate(t1.token)
    const t3 = await tokens.rotate(t2.token)
    const unrelated = await tokens.issue(env.platform.db.kysely, o)
    pastGrace()
    await rejects(t1.token, /already used/)
    await rejects(t3.token, /already used/)
    expect((await rows(o.userId)).filter((r) => !r.revokedAt).map((r) => r.tokenHash)).toEqual([
      createHash('sha256').update(unrelated.token).digest('hex'),
    ])
  })

  it('revokes on logout, idempotently', async () => {
    const o = owner()
    const t = await tokens.issue(env.platform.db.kysely, o)
    expect(await tokens.revoke(t.token)).toBe(true)
    expect(await tokens.revoke(t.token)).toBe(false)
    await rejects(t.token, /revoked/)
  })

  it('expires after REFRESH_TTL_DAYS on the platform clock', async () => {
    const t = await tokens.issue(env.platform.db.kysely, owner())
    env.clock.advance(env.config.REFRESH_TTL_DAYS * 86_400_000 + 1)
    await rejects(t.token, /expired/)
  })

  it('refuses unknown tokens and tokens of another app', async () => {
    await rejects('mbr_unknown', /Unknown/)
    const bandsy = await createRefreshTokens(env.platform, 'bandsy').issue(env.platform.db.kysely, owner())
    await rejects(bandsy.token, /Unknown/)
  })

  it('revokes every live token of a user', async () => {
    const o = owner()
    const a = await tokens.issue(env.platform.db.kysely, o)
    await tokens.issue(env.platform.db.kysely, o)
    expect(await tokens.revokeAllForUser(env.platform.db.kysely, o.userId)).toBe(2)
    await rejects(a.token, /revoked/)
  })

  it('two tabs refreshing with one token at once both get a session, and neither new token is revoked', async () => {
    const o = owner()
    const t = await tokens.issue(env.platform.db.kysely, o)
    const [a, b] = await Promise.all([tokens.rotate(t.token), tokens.rotate(t.token)])
    expect(a.token).not.toBe(b.token)
    expect([a.family, b.family]).toEqual([t.family, t.family])
    // Both tabs carry on, each with its own token.
    const a2 = await tokens.rotate(a.token)
    const b2 = await tokens.rotate(b.token)
    expect(a2.family).toBe(t.family)
    expect(b2.family).toBe(t.family)
    expect(env.platform.revocations.refusal({ sub: o.userId, role: 'client', app: 'onedesigner', sid: t.family, iat: 0 })).toBeUndefined()
  })

  it('after the grace window a rotated token is reuse: the whole session ends, twin tokens too', async () => {
    const o = owner()
    const t = await tokens.issue(env.platform.db.kysely, o)
    const [a, b] = await Promise.all([tokens.rotate(t.token), tokens.rotate(t.token)])
    env.clock.advance(env.config.REFRESH_REUSE_GRACE_SECONDS * 1000 - 1_000)
    await tokens.rotate(t.token) // still inside the window
    pastGrace()
    await rejects(t.token, /already used/)
    await rejects(a.token, /already used|revoked/)
    await rejects(b.token, /already used|revoked/)
    expect((await rows(o.userId)).filter((r) => !r.revokedAt)).toEqual([])
    expect(env.platform.revocations.refusal({ sub: o.userId, role: 'client', app: 'onedesigner', sid: t.family })).toMatch(/ended/)
  })

  it('logout ends the session: its rotated tokens get no grace and its access tokens are refused', async () => {
    const o = owner()
    const t = await tokens.issue(env.platform.db.kysely, o)
    const next = await tokens.rotate(t.token)
    expect(await tokens.revoke(next.token)).toBe(true)
    await rejects(t.token, /already used/) // within the grace window, yet the session is over
    await rejects(next.token, /revoked/)
    expect(env.platform.revocations.refusal({ sub: o.userId, role: 'client', app: 'onedesigner', sid: t.family })).toMatch(/ended/)
    // The stored entry outlives the longest access token, and no longer.
    const [entry] = await env.platform.db.kysely
      .selectFrom('platform.sessionRevocations')
      .selectAll()
      .where('subject', '=', t.family)
      .execute()
    expect(entry).toMatchObject({ app: 'onedesigner', kind: 'session' })
    expect(new Date(entry.expiresAt).getTime() - new Date(entry.revokedBefore).getTime()).toBeGreaterThanOrEqual(
      env.config.JWT_TTL_SECONDS * 1000,
    )
  })

  it('a grace window of 0 makes every second use reuse', async () => {
    const own = await createTestEnv({ apps: [], config: { REFRESH_REUSE_GRACE_SECONDS: '0' } })
    try {
      const strict = createRefreshTokens(own.platform, 'onedesigner')
      const t = await strict.issue(own.platform.db.kysely, owner())
      const results = await Promise.allSettled([strict.rotate(t.token), strict.rotate(t.token)])
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    } finally {
      await own.close()
    }
  })
})
