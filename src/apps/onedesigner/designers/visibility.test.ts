// Issue 10, item 18: one rule for what a client sees of a designer before and after unlocking
// them, the same in every route that returns a designer (designers/visibility.ts).
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aBrief, aClient, aDesigner, anAdmin, bearer, type TestUser } from '../../../../test/support/onedesigner'

let env: TestEnv
beforeAll(async () => {
  env = await createTestEnv()
})
afterAll(() => env.close())

const OD = '/v1/onedesigner'
const call = async (user: TestUser, method: 'GET' | 'POST', url: string) => {
  const res = await env.http.inject({
    method,
    url: `${OD}${url}`,
    headers: { ...bearer(user), ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}) },
  })
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
  return res
}

const PRIVATE = {
  lastName: 'Vandermeer',
  location: 'Lisbon, Portugal',
  portfolioUrl: 'https://vandermeer.example',
  portfolioImages: ['https://vandermeer.example/work-1.png'],
  caseStudies: [{ title: 'Fintech rebrand', url: 'https://vandermeer.example/fintech' }],
}

/** Every route that returns this designer to `client`, with the designer object it returned. */
async function everyRoute(client: TestUser, designerId: string, briefId: string, matchId: string) {
  const seen: Record<string, { body: string; designer: unknown }> = {}
  const take = (name: string, body: string, designer: unknown) => {
    seen[name] = { body, designer }
  }
  let res = await call(client, 'GET', `/designers/${designerId}`)
  take('GET /designers/:id', res.body, res.json())
  res = await call(client, 'GET', `/briefs/${briefId}/matches`)
  take('GET /briefs/:id/matches', res.body, res.json().matches.find((m: { designerId: string }) => m.designerId === designerId).designer)
  res = await call(client, 'GET', `/matches/${matchId}`)
  take('GET /matches/:id', res.body, res.json().designer)
  res = await call(client, 'GET', '/unlocks')
  const unlock = res.json().unlocks.find((u: { designerId: string }) => u.designerId === designerId)
  if (unlock) take('GET /unlocks', res.body, unlock.designer)
  return seen
}

describe('a designer as a client sees them', () => {
  it('before an unlock: the professional profile without last name, email, location or portfolio, in every route; after: all of it', async () => {
    const designer = await aDesigner(env.platform, { firstName: 'Ines', lastName: PRIVATE.lastName, categories: ['illustration'] })
    await env.platform.db.kysely
      .updateTable('onedesigner.designers')
      .set({
        location: PRIVATE.location,
        portfolioUrl: PRIVATE.portfolioUrl,
        portfolioImages: JSON.stringify(PRIVATE.portfolioImages),
        caseStudies: JSON.stringify(PRIVATE.caseStudies),
      })
      .where('id', '=', designer.id)
      .execute()
    const client = await aClient(env.platform, { credits: 2 })
    const brief = await aBrief(env.platform, client, { projectType: 'illustration' })

    const ran = await call(client, 'POST', `/briefs/${brief.id}/matches`)
    const match = ran.json().matches.find((m: { designerId: string }) => m.designerId === designer.id)
    expect(match).toBeDefined()

    const locked = {
      id: designer.id,
      unlocked: false,
      firstName: 'Ines',
      professionalTitle: 'Brand Designer',
      bio: 'I design brands and interfaces for growing companies.',
      avatarUrl: null,
      yearsExperience: null,
      categories: ['illustration'],
      industriesWorked: ['technology'],
      designStyles: ['minimal'],
      tools: ['figma'],
      skills: ['logo design'],
      rateRange: '$50-100/hr',
      availabilityStatus: 'available',
      workingHours: null,
      timezone: 'UTC',
      isVerified: true,
      lastName: null,
      email: null,
      location: null,
      portfolioUrl: null,
      portfolioImages: null,
      caseStudies: null,
    }
    expect(match.designer).toEqual(locked)
    expect(ran.body).not.toContain(PRIVATE.lastName)
    const before = await everyRoute(client, designer.id, brief.id, match.id)
    expect(Object.keys(before)).toEqual(['GET /designers/:id', 'GET /briefs/:id/matches', 'GET /matches/:id'])
    for (const [route, { body, designer: d }] of Object.entries(before)) {
      expect(d, route).toEqual(locked)
      for (const secret of [PRIVATE.lastName, PRIVATE.location, PRIVATE.portfolioUrl, designer.email])
        expect(body, route).not.toContain(secret)
    }

    const unlockedView = { ...locked, unlocked: true, email: designer.email, ...PRIVATE }
    const bought = await call(client, 'POST', `/matches/${match.id}/unlock`)
    expect(bought.json().unlock.designer).toEqual(unlockedView)
    const after = await everyRoute(client, designer.id, brief.id, match.id)
    expect(Object.keys(after)).toEqual(['GET /designers/:id', 'GET /briefs/:id/matches', 'GET /matches/:id', 'GET /unlocks'])
    for (const [route, { designer: d }] of Object.entries(after)) expect(d, route).toEqual(unlockedView)
    // A repeat of the matching run (served from the cache) shows the unlocked view too.
    const again = await call(client, 'POST', `/briefs/${brief.id}/matches`)
    expect(again.json().matches.find((m: { designerId: string }) => m.designerId === designer.id).designer).toEqual(unlockedView)

    // Another client, who has not unlocked them, still sees the locked view; an admin sees everything.
    const other = await aClient(env.platform)
    expect((await call(other, 'GET', `/designers/${designer.id}`)).json()).toEqual(locked)
    const admin = await anAdmin(env.platform)
    expect((await call(admin, 'GET', `/designers/${designer.id}`)).json()).toEqual(unlockedView)
  })
})
