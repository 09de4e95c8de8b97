import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aBrief, aClient, aDesigner, anAdmin, bearer, type TestUser } from '../../../../test/support/onedesigner'
import { ENGINE_VERSION, roundDiv, DAY, HOUR } from '../../../platform'
import { refreshDesignerEmbedding } from './embeddings'

let env: TestEnv
let client: TestUser
let other: TestUser
const ids: Record<string, string> = {}

const post = (user: TestUser, briefId: string) =>
  env.http.inject({ method: 'POST', url: `/v1/onedesigner/briefs/${briefId}/matches`, headers: bearer(user) })
const get = (user: TestUser | null, url: string) =>
  env.http.inject({ method: 'GET', url: `/v1/onedesigner${url}`, headers: user ? bearer(user) : {} })

beforeAll(async () => {
  env = await createTestEnv()
  const p = env.platform
  client = await aClient(p)
  other = await aClient(p)
  // Category: branding-logo. The brief (below) wants technology, minimal, 5k-10k, 2-4 weeks.
  ids.best = (
    await aDesigner(p, {
      firstName: 'Bea',
      industries: ['technology', 'finance'],
      styles: ['minimal', 'geometric'],
      rateRange: '$100-150/hr',
      bio: 'Minimal brand identity and logo systems for fintech and technology startups.',
    })
  ).id
  ids.good = (await aDesigner(p, { firstName: 'Gus', industries: ['technology'], styles: ['bold'], rateRange: '$50-100/hr' })).id
  ids.weak = (
    await aDesigner(p, {
      firstName: 'Wes',
      industries: ['food-beverage'],
      styles: ['vintage'],
      rateRange: '$25-50/hr',
      bio: 'Hand lettering for craft breweries.',
    })
  ).id
  for (let i = 0; i < 4; i++)
    await aDesigner(p, { firstName: `Filler${i}`, industries: ['retail'], styles: ['playful'], rateRange: '$150-250/hr' })
  ids.unapproved = (
    await aDesigner(p, { firstName: 'Una', approved: false, industries: ['technology'], styles: ['minimal'], rateRange: '$100-150/hr' })
  ).id
  ids.busy = (
    await aDesigner(p, { firstName: 'Bo', availability: 'busy', industries: ['technology'], styles: ['minimal'], rateRange: '$100-150/hr' })
  ).id
  ids.otherCategory = (
    await aDesigner(p, { firstName: 'Otto', categories: ['illustration'], industries: ['technology'], styles: ['minimal'] })
  ).id
  // One designer has a stored embedding: it must score exactly as if embedded on the fly.
  await refreshDesignerEmbedding(p, ids.good)
  ids.brief = (
    await aBrief(p, client, { title: 'Fintech brand identity', description: 'A minimal logo and brand identity for our fintech startup.' })
  ).id
  ids.otherBrief = (await aBrief(p, other)).id
})
afterAll(() => env.close())

describe('POST /briefs/:id/matches', () => {
  let first: any

  it('stores the best five approved, available designers of the category, best first', async () => {
    const res = await post(client, ids.brief)
    expect(res.statusCode).toBe(200)
    first = res.json()
    expect(first.cached).toBe(false)
    expect(first.matches).toHaveLength(5)
    const designers = first.matches.map((m: any) => m.designerId)
    expect(designers[0]).toBe(ids.best)
    expect(designers).toContain(ids.good)
    for (const banned of [ids.unapproved, ids.busy, ids.otherCategory]) expect(designers).not.toContain(banned)
    const scores = first.matches.map((m: any) => m.score)
    expect([...scores].sort((a, b) => b - a)).toEqual(scores)
    expect(scores.length).toBe(5)
  })

  it('keeps every score in 50..85 and records provider, engine version, time, tokens and a 7-day expiry', () => {
    const now = env.clock.now().getTime()
    for (const m of first.matches) {
      expect(m.score).toBeGreaterThanOrEqual(50)
      expect(m.score).toBeLessThanOrEqual(85)
      expect(m.aiProvider).toBe('local')
      expect(m.matchVersion).toBe(ENGINE_VERSION)
      expect(m.processingTime).toBeGreaterThanOrEqual(0)
      expect(m.tokensUsed).toBeGreaterThan(0)
      expect(m.status).toBe('active')
      expect(new Date(m.expiresAt).getTime()).toBe(now + 7 * DAY)
    }
  })

  it('gives exactly three reasons naming facts of the brief and the designer, and a message from them', () => {
    const best = first.matches[0]
    expect(best.reasons).toHaveLength(3)
    for (const m of first.matches) expect(m.reasons).toHaveLength(3)
    const text = best.reasons.join(' | ')
    expect(text).toMatch(/technology/) // the brief's industry, which Bea has worked in
    expect(text).toMatch(/minimal|fintech|brand|\$100-150\/hr/)
    expect(best.aiMessage).toContain('Bea')
    expect(best.aiMessage).toContain('Fintech brand identity')
    const weakest = first.matches.find((m: any) => m.designerId === ids.weak)
    if (weakest) expect(weakest.reasons.join(' ')).not.toMatch(/Has worked in technology/)
  })

  it('serves a repeat within 24 hours from the cache, counting hits, without duplicating matches', async () => {
    const again = await post(client, ids.brief)
    expect(again.statusCode).toBe(200)
    expect(again.json().cached).toBe(true)
    expect(
      again
        .json()
        .matches.map((m: any) => m.id)
        .sort(),
    ).toEqual(first.matches.map((m: any) => m.id).sort())
    env.clock.advance(23 * HOUR)
    expect((await post(client, ids.brief)).json().cached).toBe(true)
    const hits = await env.platform.db.kysely
      .selectFrom('onedesigner.matchCache')
      .select(['cacheHits'])
      .where('briefId', '=', ids.brief)
      .execute()
    expect(hits).toHaveLength(5)
    expect(hits.every((h) => h.cacheHits === 2)).toBe(true)
    const count = await sql<{ n: number }>`select count(*)::int as n from onedesigner.matches where brief_id = ${ids.brief}`.execute(
      env.platform.db.kysely,
    )
    expect(count.rows[0].n).toBe(5)
  })

  it('recomputes after 24 hours in place: same rows, fresh expiry, cache restarted', async () => {
    env.clock.advance(2 * HOUR)
    const res = await post(client, ids.brief)
    expect(res.json().cached).toBe(false)
    const again = res.json().matches
    expect(again.map((m: any) => m.id).sort()).toEqual(first.matches.map((m: any) => m.id).sort())
    for (const m of again) expect(new Date(m.expiresAt).getTime()).toBe(env.clock.now().getTime() + 7 * DAY)
    const count = await sql<{ n: number }>`select count(*)::int as n from onedesigner.matches where brief_id = ${ids.brief}`.execute(
      env.platform.db.kysely,
    )
    expect(count.rows[0].n).toBe(5)
    const hits = await env.platform.db.kysely
      .selectFrom('onedesigner.matchCache')
      .select(['cacheHits'])
      .where('briefId', '=', ids.brief)
      .execute()
    expect(hits.every((h) => h.cacheHits === 0)).toBe(true)
  })

  it('recomputes when the brief changed, even within 24 hours', async () => {
    await env.platform.db.kysely.updateTable('onedesigner.briefs').set({ industry: 'food-beverage' }).where('id', '=', ids.brief).execute()
    const res = await post(client, ids.brief)
    expect(res.json().cached).toBe(false)
    const e = (await get(client, `/matches/${res.json().matches[0].id}/explain`)).json()
    expect(e.factors.find((f: any) => f.name === 'industry').inputs.industry).toBe('food-beverage')
    // The cache now holds this run only (the earlier run's rows for other designers are gone), so a repeat is a hit.
    const cache = await env.platform.db.kysely
      .selectFrom('onedesigner.matchCache')
      .select(['designerId', 'cacheHits'])
      .where('briefId', '=', ids.brief)
      .execute()
    expect(cache.map((c) => c.designerId).sort()).toEqual(
      res
        .json()
        .matches.map((m: any) => m.designerId)
        .sort(),
    )
    expect(cache.every((c) => c.cacheHits === 0)).toBe(true)
    expect((await post(client, ids.brief)).json().cached).toBe(true)
    await env.platform.db.kysely.updateTable('onedesigner.briefs').set({ industry: 'technology' }).where('id', '=', ids.brief).execute()
  })

  it('answers an empty list when no designer qualifies', async () => {
    const lonely = await aBrief(env.platform, client, { projectType: 'presentation' })
    const res = await post(client, lonely.id)
    expect(res.statusCode).toBe(200)
    expect(res.json().matches).toEqual([])
  })

  it('refuses a brief that is not active', async () => {
    const done = await aBrief(env.platform, client)
    await env.platform.db.kysely.updateTable('onedesigner.briefs').set({ status: 'cancelled' }).where('id', '=', done.id).execute()
    const res = await post(client, done.id)
    expect(res.statusCode).toBe(409)
    expect(res.json().error.code).toBe('conflict')
  })
})

describe('reading matches', () => {
  it("lists a brief's matches and shows one, never an unapproved designer", async () => {
    const list = await get(client, `/briefs/${ids.brief}/matches`)
    expect(list.statusCode).toBe(200)
    const matches = list.json().matches
    expect(matches.length).toBeGreaterThanOrEqual(5)
    const one = await get(client, `/matches/${matches[0].id}`)
    expect(one.statusCode).toBe(200)
    expect(one.json()).toMatchObject({ id: matches[0].id, designer: { id: matches[0].designerId } })

    // An admin withdraws approval: the designer disappears from the client's matches.
    const gone = matches.find((m: any) => m.designerId === ids.good)
    await env.platform.db.kysely.updateTable('onedesigner.designers').set({ isApproved: false }).where('id', '=', ids.good).execute()
    const after = (await get(client, `/briefs/${ids.brief}/matches`)).json().matches
    expect(after.map((m: any) => m.designerId)).not.toContain(ids.good)
    expect((await get(client, `/matches/${gone.id}`)).statusCode).toBe(404)
    await env.platform.db.kysely.updateTable('onedesigner.designers').set({ isApproved: true }).where('id', '=', ids.good).execute()
  })

  it('explains a match: factors, weights, inputs and engine version that recompute the stored score exactly', async () => {
    const matches = (await get(client, `/briefs/${ids.brief}/matches`)).json().matches
    for (const m of matches) {
      const res = await get(client, `/matches/${m.id}/explain`)
      expect(res.statusCode).toBe(200)
      const e = res.json()
      expect(e.engineVersion).toBe(ENGINE_VERSION)
      expect(e.factors.map((f: any) => f.name).sort()).toEqual(['budget', 'category', 'industry', 'semantic', 'styles', 'timeline'])
      for (const f of e.factors) {
        expect(f.value).toBeGreaterThanOrEqual(0)
        expect(f.value).toBeLessThanOrEqual(1)
        expect(f.reason.length).toBeGreaterThan(5)
        expect(Object.keys(f.inputs).length).toBeGreaterThan(0)
      }
      // The documented formula, applied by hand.
      const num = e.factors.reduce((s: number, f: any) => s + f.weight * f.points, 0)
      const den = e.factors.reduce((s: number, f: any) => s + f.weight, 0)
      const raw = roundDiv(num, den)
      expect(raw).toBe(e.raw)
      expect(e.range.min + roundDiv(raw * (e.range.max - e.range.min), 10_000)).toBe(m.score)
      expect(e.recomputedScore).toBe(m.score)
      expect(e.storedScore).toBe(m.score)
    }
  })
})

describe('access and bad input', () => {
  it("keeps one client out of another client's briefs and matches", async () => {
    const theirs = (await get(client, `/briefs/${ids.brief}/matches`)).json().matches[0]
    expect((await post(other, ids.brief)).statusCode).toBe(404)
    expect((await get(other, `/briefs/${ids.brief}/matches`)).statusCode).toBe(404)
    expect((await get(other, `/matches/${theirs.id}`)).statusCode).toBe(404)
    const explain = await get(other, `/matches/${theirs.id}/explain`)
    expect(explain.statusCode).toBe(404)
    expect(explain.json().error.code).toBe('not_found')
    expect((await post(client, ids.otherBrief)).statusCode).toBe(404)
    // The other client's own matching is unaffected and sees only their own rows.
    const mine = await post(other, ids.otherBrief)
    expect(mine.statusCode).toBe(200)
    expect(mine.json().matches.every((m: any) => m.briefId === ids.otherBrief)).toBe(true)
  })

  it('is for clients only, with a token', async () => {
    const designer = await aDesigner(env.platform)
    const admin = await anAdmin(env.platform)
    expect((await get(null, `/briefs/${ids.brief}/matches`)).statusCode).toBe(401)
    expect((await post(designer, ids.brief)).statusCode).toBe(403)
    expect((await get(admin, `/briefs/${ids.brief}/matches`)).statusCode).toBe(403)
  })

  it('answers malformed and unknown ids with 4xx JSON naming the problem', async () => {
    const bad = await post(client, 'not-a-uuid')
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.code).toBe('validation_failed')
    expect(bad.json().error.message).toMatch(/params\.id/)
    expect((await get(client, '/matches/123/explain')).statusCode).toBe(400)
    const missing = await get(client, '/matches/00000000-0000-4000-8000-000000000000')
    expect(missing.statusCode).toBe(404)
    expect((await post(client, '00000000-0000-4000-8000-000000000000')).json().error.code).toBe('not_found')
  })
})

describe('candidates follow designer changes (designer_match_facets)', () => {
  it('matches a designer only while approved, available and in the category, with current facts', async () => {
    const p = env.platform
    const db = p.db.kysely
    const me = await aClient(p)
    const facets = async (id: string) =>
      (await db
        .selectFrom('onedesigner.designerMatchFacets')
        .select(['category', 'industriesWorked'])
        .where('designerId', '=', id)
        .orderBy('category')
        .execute()) as {
        category: string
        industriesWorked: string[]
      }[]
    const zed = await aDesigner(p, { firstName: 'Zed', categories: ['packaging', 'illustration'], industries: ['retail'], approved: false })
    expect(await facets(zed.id)).toEqual([])
    const matchedIds = async () => {
      const brief = await aBrief(p, me, { projectType: 'packaging', industry: 'retail' })
      const res = await post(me, brief.id)
      expect(res.statusCode).toBe(200)
      return res.json().matches.map((m: any) => m.designerId)
    }
    expect(await matchedIds()).not.toContain(zed.id)

    await db.updateTable('onedesigner.designers').set({ isApproved: true }).where('id', '=', zed.id).execute()
    expect(await facets(zed.id)).toEqual([
      { category: 'illustration', industriesWorked: ['retail'] },
      { category: 'packaging', industriesWorked: ['retail'] },
    ])
    expect(await matchedIds()).toContain(zed.id)

    await db
      .updateTable('onedesigner.designers')
      .set({ industriesWorked: ['food-beverage'] })
      .where('id', '=', zed.id)
      .execute()
    expect((await facets(zed.id)).map((f) => f.industriesWorked)).toEqual([['food-beverage'], ['food-beverage']])

    await db.updateTable('onedesigner.designers').set({ availabilityStatus: 'busy' }).where('id', '=', zed.id).execute()
    expect(await facets(zed.id)).toEqual([])
    expect(await matchedIds()).not.toContain(zed.id)

    await db
      .updateTable('onedesigner.designers')
      .set({ availabilityStatus: 'available', categories: ['illustration'] })
      .where('id', '=', zed.id)
      .execute()
    expect((await facets(zed.id)).map((f) => f.category)).toEqual(['illustration'])
    expect(await matchedIds()).not.toContain(zed.id)

    await db.deleteFrom('onedesigner.designers').where('id', '=', zed.id).execute()
    expect(await facets(zed.id)).toEqual([])
  })
})
