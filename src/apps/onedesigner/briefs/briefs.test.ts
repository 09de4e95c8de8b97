import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aBrief, aClient, aDesigner, anAdmin, bearer, type TestUser } from '../../../../test/support/onedesigner'
import { withUser } from '../../../platform'

const BRIEFS = '/v1/onedesigner/briefs'

describe('client briefs', () => {
  let env: TestEnv
  let alice: TestUser
  let bob: TestUser
  beforeAll(async () => {
    env = await createTestEnv()
    alice = await aClient(env.platform)
    bob = await aClient(env.platform)
  })
  afterAll(() => env.close())

  const create = (payload: unknown, user: TestUser = alice) =>
    env.http.inject({ method: 'POST', url: BRIEFS, headers: bearer(user), payload: payload as object })
  const get = (url: string, user: TestUser = alice) => env.http.inject({ method: 'GET', url, headers: bearer(user) })
  const patch = (id: string, payload: unknown, user: TestUser = alice) =>
    env.http.inject({ method: 'PATCH', url: `${BRIEFS}/${id}`, headers: bearer(user), payload: payload as object })
  const cancel = (id: string, user: TestUser = alice) =>
    env.http.inject({ method: 'POST', url: `${BRIEFS}/${id}/cancel`, headers: bearer(user) })

  const fullBrief = {
    projectType: 'web-mobile',
    industry: 'finance',
    budget: '10k-25k',
    timeline: '1-3-months',
    projectTitle: 'Neobank onboarding',
    projectDescription: 'Redesign the onboarding of our mobile bank.',
    requirements: 'Accessible, WCAG AA.',
    targetAudience: 'Young professionals',
    additionalNotes: 'We have a design system.',
    styles: ['minimal', 'modern'],
    deliverables: ['Figma file', 'Prototype'],
    referenceMaterials: ['https://example.com/inspiration.png'],
    categorySpecificFields: { platforms: ['ios', 'android'], pageCount: 12, designSystem: true },
  }

  it('creates a brief with every field and returns it', async () => {
    const res = await create(fullBrief)
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({ ...fullBrief, clientId: alice.id, status: 'active' })
    expect((await get(`${BRIEFS}/${res.json().id}`)).json()).toMatchObject(fullBrief)
  })

  it('needs only a project type (when its category has no required field)', async () => {
    const res = await create({ projectType: 'branding-logo' })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({ projectType: 'branding-logo', styles: [], categorySpecificFields: {}, budget: null })
  })

  it('refuses category fields of another category, naming the field', async () => {
    const res = await create({ projectType: 'web-mobile', categorySpecificFields: { platforms: ['web'], logoStyle: 'wordmark' } })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('validation_failed')
    expect(res.json().error.message).toMatch(/categorySpecificFields\.logoStyle/)
    expect(res.json().error.details[0].field).toBe('body.categorySpecificFields.logoStyle')
  })

  it('requires the fields a category needs and checks their values', async () => {
    const missing = await create({ projectType: 'web-mobile' })
    expect(missing.statusCode).toBe(400)
    expect(missing.json().error.message).toMatch(/categorySpecificFields\.platforms/)
    const badValue = await create({ projectType: 'motion-graphics', categorySpecificFields: { durationSeconds: -5 } })
    expect(badValue.statusCode).toBe(400)
    expect(badValue.json().error.message).toMatch(/categorySpecificFields\.durationSeconds/)
    const ok = await create({ projectType: 'motion-graphics', categorySpecificFields: { durationSeconds: 30, withSound: true } })
    expect(ok.statusCode).toBe(201)
  })

  it('refuses bad brief input with a 400 naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /projectType/],
      [{ projectType: 'knitting' }, /projectType/],
      [{ projectType: 'illustration', categorySpecificFields: { illustrationCount: 2 }, budget: 'a million' }, /budget/],
      [{ projectType: 'branding-logo', timeline: 'yesterday' }, /timeline/],
      [{ projectType: 'branding-logo', industry: 'mining' }, /industry/],
      [{ projectType: 'branding-logo', styles: ['grunge'] }, /styles/],
      [{ projectType: 'branding-logo', styles: ['bold', 'bold'] }, /styles/],
      [{ projectType: 'branding-logo', referenceMaterials: ['javascript:alert(1)'] }, /referenceMaterials/],
      [{ projectType: 'branding-logo', referenceMaterials: 'https://x.test' }, /referenceMaterials/],
      [{ projectType: 'branding-logo', projectTitle: 'x'.repeat(201) }, /projectTitle/],
      [{ projectType: 'branding-logo', deliverables: [''] }, /deliverables/],
      [{ projectType: 'branding-logo', categorySpecificFields: [1] }, /categorySpecificFields/],
      [{ projectType: 'branding-logo', categorySpecificFields: { logoStyle: 'sparkly' } }, /categorySpecificFields\.logoStyle/],
      [{ projectType: 'branding-logo', status: 'completed' }, /status|Unrecognized/],
      [{ projectType: 'branding-logo', clientId: bob.id }, /clientId|Unrecognized/],
    ]
    for (const [body, field] of cases) {
      const res = await create(body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.json().error.message, JSON.stringify(body)).toMatch(field)
    }
    const notJson = await env.http.inject({
      method: 'POST',
      url: BRIEFS,
      headers: { ...bearer(alice), 'content-type': 'application/json' },
      payload: '{',
    })
    expect(notJson.statusCode).toBe(400)
  })

  it('lists only your own briefs, newest first, with a status filter and paging', async () => {
    const carol = await aClient(env.platform)
    env.clock.advance(1000)
    const first = (await create({ projectType: 'presentation', categorySpecificFields: { slideCount: 20 } }, carol)).json()
    const second = (await create({ projectType: 'social-media', categorySpecificFields: { channels: ['instagram'] } }, carol)).json()
    await aBrief(env.platform, bob)
    await cancel(first.id, carol)
    const all = await get(BRIEFS, carol)
    expect(all.statusCode).toBe(200)
    expect(all.json().total).toBe(2)
    expect(
      all
        .json()
        .briefs.map((b: { id: string }) => b.id)
        .sort(),
    ).toEqual([first.id, second.id].sort())
    expect((await get(`${BRIEFS}?status=active`, carol)).json().briefs.map((b: { id: string }) => b.id)).toEqual([second.id])
    expect((await get(`${BRIEFS}?limit=1`, carol)).json().briefs).toHaveLength(1)
    expect((await get(`${BRIEFS}?status=lost`, carol)).statusCode).toBe(400)
    expect((await get(`${BRIEFS}?limit=1000`, carol)).statusCode).toBe(400)
  })

  it("hides another client's brief (404) for reading, changing and cancelling", async () => {
    const mine = (await create({ projectType: 'branding-logo' })).json()
    expect((await get(`${BRIEFS}/${mine.id}`, bob)).statusCode).toBe(404)
    expect((await patch(mine.id, { projectTitle: 'stolen' }, bob)).statusCode).toBe(404)
    expect((await cancel(mine.id, bob)).statusCode).toBe(404)
    expect((await get(`${BRIEFS}/${mine.id}`)).json()).toMatchObject({ projectTitle: null, status: 'active' })
    const rows = await withUser(env.platform.db.kysely, { sub: bob.id, role: 'client', app: 'onedesigner' }, (tx) =>
      tx.selectFrom('onedesigner.briefs').select('id').where('id', '=', mine.id).execute(),
    )
    expect(rows).toEqual([])
  })

  it('changes an active brief and re-checks category fields against a new type', async () => {
    const b = (await create({ projectType: 'branding-logo', categorySpecificFields: { brandName: 'Acme' } })).json()
    const res = await patch(b.id, { projectTitle: 'Acme rebrand', budget: '1k-5k', styles: ['bold'] })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      projectTitle: 'Acme rebrand',
      budget: '1k-5k',
      styles: ['bold'],
      categorySpecificFields: { brandName: 'Acme' },
    })
    const wrongType = await patch(b.id, { projectType: 'illustration' })
    expect(wrongType.statusCode).toBe(400)
    expect(wrongType.json().error.message).toMatch(/categorySpecificFields\.(brandName|illustrationCount)/)
    const retyped = await patch(b.id, { projectType: 'illustration', categorySpecificFields: { illustrationCount: 3 } })
    expect(retyped.statusCode).toBe(200)
    expect(retyped.json()).toMatchObject({ projectType: 'illustration', categorySpecificFields: { illustrationCount: 3 } })
    const badField = await patch(b.id, { categorySpecificFields: { slideCount: 3 } })
    expect(badField.json().error.message).toMatch(/categorySpecificFields\.slideCount/)
    expect((await patch(b.id, {})).statusCode).toBe(400)
    expect((await patch(b.id, { projectType: null })).statusCode).toBe(400)
    expect((await patch('not-a-uuid', { projectTitle: 'x' })).statusCode).toBe(400)
    expect((await patch('00000000-0000-4000-8000-000000000000', { projectTitle: 'x' })).statusCode).toBe(404)
  })

  it('drops cached match scores when a brief changes', async () => {
    const b = (await create({ projectType: 'branding-logo' })).json()
    const d = await aDesigner(env.platform)
    await env.platform.db.kysely
      .insertInto('onedesigner.matchCache')
      .values({ briefId: b.id, designerId: d.id, score: 70, reasons: ['a', 'b', 'c'], expiresAt: new Date(Date.now() + 86_400_000) })
      .execute()
    expect((await patch(b.id, { styles: ['playful'] })).statusCode).toBe(200)
    const left = await env.platform.db.kysely.selectFrom('onedesigner.matchCache').select('id').where('briefId', '=', b.id).execute()
    expect(left).toEqual([])
  })

  it('cancels a brief once; a cancelled brief cannot be changed', async () => {
    const b = (await create({ projectType: 'branding-logo' })).json()
    const res = await cancel(b.id)
    expect(res.statusCode).toBe(200)
    expect(res.json().status).toBe('cancelled')
    expect((await cancel(b.id)).json().status).toBe('cancelled')
    const change = await patch(b.id, { projectTitle: 'too late' })
    expect(change.statusCode).toBe(409)
    expect(change.json().error.message).toMatch(/cancelled/)
    expect((await cancel('00000000-0000-4000-8000-000000000000')).statusCode).toBe(404)
    expect((await cancel('x')).statusCode).toBe(400)
  })

  it('a completed brief cannot be cancelled', async () => {
    const b = await aBrief(env.platform, alice)
    await env.platform.db.kysely.updateTable('onedesigner.briefs').set({ status: 'completed' }).where('id', '=', b.id).execute()
    expect((await cancel(b.id)).statusCode).toBe(409)
  })

  it('is for clients only', async () => {
    const designer = await aDesigner(env.platform)
    const admin = await anAdmin(env.platform)
    for (const user of [designer, admin]) {
      expect((await create({ projectType: 'branding-logo' }, user)).statusCode).toBe(403)
      expect((await get(BRIEFS, user)).statusCode).toBe(403)
    }
    expect((await env.http.inject({ method: 'GET', url: BRIEFS })).statusCode).toBe(401)
  })
})
