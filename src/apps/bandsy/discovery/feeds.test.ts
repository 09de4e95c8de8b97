import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, anInteraction, type Musician } from '../../../../test/support/bandsy'
import { aPlace, discovery, offset } from '../../../../test/support/bandsy-discovery'
import { withUser } from '../../../platform'
import { expireDiscoveryFeeds } from './jobs'
import { encodeCursor } from './service'

let env: TestEnv
const claims = (m: Musician) => ({ sub: m.id, role: 'musician', app: 'bandsy' })
type Page = { candidates: { profile: { id: string } }[]; nextCursor: string | null }
const pageOf = async (me: Musician, query: string): Promise<Page> => {
  const res = await discovery(env, me, query)
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}
const idsOf = (p: Page) => p.candidates.map((c) => c.profile.id)

beforeAll(async () => {
  env = await createTestEnv()
})
afterAll(() => env.close())

describe('cursor pages', () => {
  it('stay consistent while musicians arrive, scores move and candidates get liked or blocked', async () => {
    const at = aPlace()
    const me = await aMusician(env.platform, { at })
    const all: Musician[] = []
    for (let i = 0; i < 9; i++) all.push(await aMusician(env.platform, { at: offset(at, i * 3, 0) }))
    const p1 = await pageOf(me, '?limit=3')
    expect(p1.candidates).toHaveLength(3)
    const order = [...idsOf(p1)]
    // Meanwhile: a perfect newcomer next door, the last-ranked musician becomes very active,
    // someone on a later page is liked by the caller and another blocks the caller.
    const newcomer = await aMusician(env.platform, { at, instruments: [{ name: 'Drums', skill: 'intermediate' }] })
    const rest = all.filter((m) => !order.includes(m.id))
    await sql`update bandsy.user_match_profiles set activity_score = 500 where user_id = ${rest.at(-1)!.id}`.execute(env.platform.db.kysely)
    await anInteraction(env.platform, me, rest[0], 'like')
    await anInteraction(env.platform, rest[1], me, 'block')
    const p2 = await pageOf(me, `?limit=3&cursor=${p1.nextCursor}`)
    expect(idsOf(p2)).toHaveLength(3)
    const p3 = await pageOf(me, `?limit=3&cursor=${p2.nextCursor}`)
    expect(idsOf(p3)).toHaveLength(1)
    const seen = [...idsOf(p1), ...idsOf(p2), ...idsOf(p3)]
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen).not.toContain(newcomer.id)
    expect(seen).not.toContain(rest[0].id)
    expect(seen).not.toContain(rest[1].id)
    expect(seen.sort()).toEqual(
      all
        .filter((m) => m !== rest[0] && m !== rest[1])
        .map((m) => m.id)
        .sort(),
    )
    expect(p3.nextCursor).toBeNull()
    // A fresh feed ranks the newcomer in.
    expect(idsOf(await pageOf(me, '?limit=3'))[0]).toBe(newcomer.id)
  })

  it('a deleted candidate drops out of later pages', async () => {
    const at = aPlace()
    const me = await aMusician(env.platform, { at })
    const others: Musician[] = []
    for (let i = 0; i < 4; i++) others.push(await aMusician(env.platform, { at: offset(at, i * 5, 0) }))
    const p1 = await pageOf(me, '?limit=2')
    const later = others.find((o) => !idsOf(p1).includes(o.id))!
    await sql`update bandsy.users set deleted_at = now(), is_active = false where id = ${later.id}`.execute(env.platform.db.kysely)
    const p2 = await pageOf(me, `?limit=2&cursor=${p1.nextCursor}`)
    expect(idsOf(p2)).toHaveLength(1)
    expect(idsOf(p2)).not.toContain(later.id)
    expect(p2.nextCursor).toBeNull()
  })

  it('expired feeds give 410, and the job deletes them', async () => {
    const at = aPlace()
    const me = await aMusician(env.platform, { at })
    for (let i = 0; i < 3; i++) await aMusician(env.platform, { at })
    const p1 = await pageOf(me, '?limit=1')
    env.clock.advance(31 * 60_000)
    const res = await discovery(env, me, `?cursor=${p1.nextCursor}`)
    expect(res.statusCode).toBe(410)
    expect(res.json().error.code).toBe('gone')
    const out = await expireDiscoveryFeeds.run({ platform: env.platform, now: env.platform.clock.now() })
    expect(out.deleted).toBeGreaterThanOrEqual(1)
    const left = await sql<{ n: number }>`select count(*)::int as n from bandsy.discovery_feeds where user_id = ${me.id}`.execute(
      env.platform.db.kysely,
    )
    expect(left.rows[0].n).toBe(0)
  })

  it("feeds are the owner's: another musician's cursor is gone for me, and RLS hides their rows", async () => {
    const at = aPlace()
    const a = await aMusician(env.platform, { at })
    const b = await aMusician(env.platform, { at })
    for (let i = 0; i < 3; i++) await aMusician(env.platform, { at })
    const p1 = await pageOf(a, '?limit=1')
    expect((await discovery(env, b, `?cursor=${p1.nextCursor}`)).statusCode).toBe(410)
    const seen = await withUser(env.platform.db.kysely, claims(b), (tx) =>
      sql`select id from bandsy.discovery_feeds where user_id = ${a.id}`.execute(tx),
    )
    expect(seen.rows).toHaveLength(0)
    await expect(
      withUser(env.platform.db.kysely, claims(b), (tx) =>
        sql`insert into bandsy.discovery_feeds (user_id, candidate_ids, origin_lat, origin_lng, radius_km, created_at, expires_at)
            values (${a.id}, '{}', 0, 0, 10, now(), now() + interval '1 hour')`.execute(tx),
      ),
    ).rejects.toThrow(/row-level security/)
  })
})

describe('bad input', () => {
  it('4xx JSON naming the problem', async () => {
    const me = await aMusician(env.platform, { at: aPlace() })
    const cases: [string, number, RegExp][] = [
      ['?cursor=garbage', 400, /cursor/],
      ['?cursor=' + Buffer.from('not-a-uuid:3').toString('base64url'), 400, /cursor/],
      ['?cursor=%00%01', 400, /cursor/],
      ['?cursor=' + encodeCursor('00000000-0000-4000-8000-000000000000', 0), 410, /expired/],
      ['?limit=0', 400, /querystring\.limit/],
      ['?limit=51', 400, /querystring\.limit/],
      ['?limit=abc', 400, /querystring\.limit/],
      ['?radiusKm=5000', 400, /querystring\.radiusKm/],
      ['?radiusKm=0', 400, /querystring\.radiusKm/],
    ]
    for (const [q, status, message] of cases) {
      const res = await discovery(env, me, q)
      expect(res.statusCode, q).toBe(status)
      expect(res.json().error.message, q).toMatch(message)
    }
  })

  it('musicians only: no token is 401', async () => {
    const res = await env.http.inject({ method: 'GET', url: '/v1/bandsy/discovery' })
    expect(res.statusCode).toBe(401)
  })
})

describe('activity', () => {
  it('fetching discovery marks the caller active, at most every five minutes', async () => {
    const me = await aMusician(env.platform, { at: aPlace(), lastActiveAt: new Date(env.platform.clock.now().getTime() - 3_600_000) })
    const lastActive = async () =>
      (
        await env.platform.db.kysely.selectFrom('bandsy.users').select('lastActiveAt').where('id', '=', me.id).executeTakeFirstOrThrow()
      ).lastActiveAt!.getTime()
    await pageOf(me, '')
    const t1 = await lastActive()
    expect(t1).toBe(env.platform.clock.now().getTime())
    env.clock.advance(60_000)
    await pageOf(me, '')
    expect(await lastActive()).toBe(t1)
    env.clock.advance(5 * 60_000)
    await pageOf(me, '')
    expect(await lastActive()).toBe(env.platform.clock.now().getTime())
  })
})
