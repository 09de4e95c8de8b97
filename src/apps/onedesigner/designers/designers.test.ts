import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aClient, aDesigner, anAdmin, bearer, type TestUser } from '../../../../test/support/onedesigner'

const ME = '/v1/onedesigner/designers/me'

describe('designer profiles', () => {
  let env: TestEnv
  let client: TestUser
  beforeAll(async () => {
    env = await createTestEnv()
    client = await aClient(env.platform)
  })
  afterAll(() => env.close())

  const get = (url: string, user?: TestUser) => env.http.inject({ method: 'GET', url, headers: user ? bearer(user) : {} })
  const patch = (user: TestUser, payload: unknown) =>
    env.http.inject({ method: 'PATCH', url: ME, headers: bearer(user), payload: payload as object })
  const put = (user: TestUser, payload: unknown) =>
    env.http.inject({ method: 'PUT', url: ME, headers: bearer(user), payload: payload as object })

  it('shows a designer their own profile with email and approval state', async () => {
    const d = await aDesigner(env.platform, { approved: false, firstName: 'Maya' })
    const res = await get(ME, d)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      id: d.id,
      email: d.email,
      firstName: 'Maya',
      status: 'pending',
      isApproved: false,
      editedAfterApproval: false,
    })
  })

  it('lets a designer fill in every profile field', async () => {
    const d = await aDesigner(env.platform, { approved: false })
    const profile = {
      firstName: ' Lena ',
      lastName: 'Okafor',
      professionalTitle: 'Senior Product Designer',
      bio: 'Ten years of product design for fintech.',
      location: 'Lagos, Nigeria',
      avatarUrl: 'https://cdn.example.com/lena.png',
      yearsExperience: '10+',
      categories: ['web-mobile', 'branding-logo'],
      industriesWorked: ['finance', 'technology'],
      designStyles: ['minimal', 'modern'],
      tools: ['Figma', 'Framer'],
      skills: ['design systems', 'prototyping'],
      portfolioUrl: 'https://lena.example.com',
      portfolioImages: ['https://cdn.example.com/1.png', 'https://cdn.example.com/2.png'],
      caseStudies: [
        { title: 'Neobank app', summary: 'Onboarding redesign', url: 'https://lena.example.com/neobank', category: 'web-mobile' },
      ],
      rateRange: '$100-150/hr',
      availabilityStatus: 'busy',
      workingHours: 'Mon-Fri 9:00-17:00',
      timezone: 'Africa/Lagos',
    }
    const res = await patch(d, profile)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ ...profile, firstName: 'Lena', editedAfterApproval: false })
    expect((await get(ME, d)).json()).toMatchObject({ ...profile, firstName: 'Lena' })
  })

  it('PUT replaces the whole profile and clears what it leaves out', async () => {
    const d = await aDesigner(env.platform, { approved: false, tools: ['figma'], bio: 'old bio' })
    const res = await put(d, { firstName: 'Rui', lastName: 'Costa', categories: ['illustration'], timezone: 'Europe/Lisbon' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ firstName: 'Rui', categories: ['illustration'], tools: [], bio: null, timezone: 'Europe/Lisbon' })
    const missing = await put(d, { firstName: 'Rui' })
    expect(missing.statusCode).toBe(400)
    expect(missing.json().error.message).toMatch(/lastName|categories/)
  })

  it('flags an approved designer who edits their profile for re-review', async () => {
    const d = await aDesigner(env.platform, { approved: true })
    const availabilityOnly = await patch(d, { availabilityStatus: 'busy' })
    expect(availabilityOnly.json().editedAfterApproval).toBe(false)
    const res = await patch(d, { bio: 'A new bio that needs a look.' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ editedAfterApproval: true, isApproved: true, status: 'approved' })
  })

  it('marks the embedding stale when an approved designer edits their profile', async () => {
    const d = await aDesigner(env.platform, { approved: true })
    await env.platform.db.kysely
      .insertInto('onedesigner.designerEmbeddings')
      .values({ designerId: d.id, embedding: [0.1, 0.2], needsUpdate: false })
      .execute()
    expect((await patch(d, { skills: ['motion', 'typography'] })).statusCode).toBe(200)
    const row = await env.platform.db.kysely
      .selectFrom('onedesigner.designerEmbeddings')
      .select('needsUpdate')
      .where('designerId', '=', d.id)
      .executeTakeFirstOrThrow()
    expect(row.needsUpdate).toBe(true)
  })

  it('refuses bad profile input with a 400 naming the field', async () => {
    const d = await aDesigner(env.platform, { approved: false })
    const cases: [unknown, RegExp][] = [
      [{}, /at least one/],
      [{ timezone: 'Mars/Olympus' }, /timezone/],
      [{ timezone: '+01:00' }, /timezone/],
      [{ timezone: 'EST' }, /timezone/],
      [{ timezone: 'europe/paris' }, /timezone/],
      [{ categories: ['knitting'] }, /categories/],
      [{ categories: [] }, /categories/],
      [{ categories: ['illustration', 'illustration'] }, /categories/],
      [{ rateRange: '$1-2/hr' }, /rateRange/],
      [{ yearsExperience: 'lots' }, /yearsExperience/],
      [{ industriesWorked: ['mining'] }, /industriesWorked/],
      [{ designStyles: ['grunge'] }, /designStyles/],
      [{ availabilityStatus: 'asleep' }, /availabilityStatus/],
      [{ portfolioUrl: 'javascript:alert(1)' }, /portfolioUrl/],
      [{ avatarUrl: 'not a url' }, /avatarUrl/],
      [{ portfolioImages: ['ftp://x.test/a.png'] }, /portfolioImages/],
      [{ caseStudies: [{ summary: 'no title' }] }, /caseStudies/],
      [{ firstName: '   ' }, /firstName/],
      [{ firstName: 'x'.repeat(101) }, /firstName/],
      [{ lastName: null }, /lastName/],
      [{ tools: 'figma' }, /tools/],
      [{ email: 'new@example.test' }, /email/],
      [{ isApproved: true }, /isApproved/],
      [{ editedAfterApproval: false }, /editedAfterApproval/],
    ]
    for (const [body, field] of cases) {
      const res = await patch(d, body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.json().error.message, JSON.stringify(body)).toMatch(field)
    }
    const notJson = await env.http.inject({
      method: 'PATCH',
      url: ME,
      headers: { ...bearer(d), 'content-type': 'application/json' },
      payload: '{bad',
    })
    expect(notJson.statusCode).toBe(400)
    const array = await patch(d, [1, 2])
    expect(array.statusCode).toBe(400)
  })

  it('accepts time zone aliases and UTC', async () => {
    const d = await aDesigner(env.platform, { approved: false })
    for (const tz of ['UTC', 'Asia/Calcutta', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5'])
      expect((await patch(d, { timezone: tz })).statusCode, tz).toBe(200)
  })

  it('guards the profile routes by role', async () => {
    expect((await get(ME)).statusCode).toBe(401)
    expect((await get(ME, client)).statusCode).toBe(403)
    expect((await patch(client, { bio: 'x' })).statusCode).toBe(403)
    const admin = await anAdmin(env.platform)
    expect((await get(ME, admin)).statusCode).toBe(403)
  })

  it('answers 404 when the designer behind a token no longer exists', async () => {
    const ghost = { ...(await aDesigner(env.platform)) }
    await env.platform.db.kysely.deleteFrom('onedesigner.designers').where('id', '=', ghost.id).execute()
    expect((await get(ME, ghost)).statusCode).toBe(404)
    expect((await patch(ghost, { bio: 'x' })).statusCode).toBe(404)
  })

  it('shows clients approved designers without their email', async () => {
    const d = await aDesigner(env.platform, { approved: true, firstName: 'Ines' })
    const res = await get(`/v1/onedesigner/designers/${d.id}`, client)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ id: d.id, firstName: 'Ines', categories: ['branding-logo'] })
    expect(res.json()).toMatchObject({ email: null, lastName: null, unlocked: false })
    expect(res.body).not.toContain(d.email)
  })

  it('hides unapproved and unknown designers from clients (404) and rejects bad ids (400)', async () => {
    const pending = await aDesigner(env.platform, { approved: false })
    expect((await get(`/v1/onedesigner/designers/${pending.id}`, client)).statusCode).toBe(404)
    expect((await get('/v1/onedesigner/designers/00000000-0000-4000-8000-000000000000', client)).statusCode).toBe(404)
    const bad = await get('/v1/onedesigner/designers/not-a-uuid', client)
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.message).toMatch(/params\.id/)
  })

  it('RLS: a client cannot read an unapproved designer even with raw SQL', async () => {
    const pending = await aDesigner(env.platform, { approved: false })
    const { withUser } = await import('../../../platform')
    const rows = await withUser(env.platform.db.kysely, { sub: client.id, role: 'client', app: 'onedesigner' }, (tx) =>
      tx.selectFrom('onedesigner.designers').select('id').where('id', '=', pending.id).execute(),
    )
    expect(rows).toEqual([])
  })

  it('RLS: a designer cannot edit another designer or approve themselves', async () => {
    const { withUser } = await import('../../../platform')
    const me = await aDesigner(env.platform, { approved: false })
    const other = await aDesigner(env.platform, { approved: true, bio: 'original' })
    const claims = { sub: me.id, role: 'designer', app: 'onedesigner' }
    const changed = await withUser(env.platform.db.kysely, claims, (tx) =>
      tx.updateTable('onedesigner.designers').set({ bio: 'hijacked' }).where('id', '=', other.id).executeTakeFirst(),
    )
    expect(Number(changed.numUpdatedRows)).toBe(0)
    await expect(
      withUser(env.platform.db.kysely, claims, (tx) =>
        tx.updateTable('onedesigner.designers').set({ isApproved: true }).where('id', '=', me.id).execute(),
      ),
    ).rejects.toMatchObject({ code: '42501' })
    expect((await patch(other, { bio: 'edited' })).json().editedAfterApproval).toBe(true)
    await expect(
      withUser(env.platform.db.kysely, { sub: other.id, role: 'designer', app: 'onedesigner' }, (tx) =>
        tx.updateTable('onedesigner.designers').set({ editedAfterApproval: false }).where('id', '=', other.id).execute(),
      ),
    ).rejects.toMatchObject({ code: '42501' })
    expect((await get(ME, me)).json().isApproved).toBe(false)
  })

  it('serves a designer their row of the statistics once the view is refreshed', async () => {
    const d = await aDesigner(env.platform, { approved: true })
    const before = await get(`${ME}/stats`, d)
    expect(before.statusCode).toBe(200)
    expect(before.json()).toMatchObject({ designerId: d.id, computed: false, totalMatches: 0 })
    const brief = await (await import('../../../../test/support/onedesigner')).aBrief(env.platform, client)
    await (await import('../../../../test/support/onedesigner')).aMatch(env.platform, { client, designer: d, brief, score: 80 })
    await sql`select onedesigner.refresh_designer_stats()`.execute(env.platform.db.kysely)
    const after = await get(`${ME}/stats`, d)
    expect(after.json()).toMatchObject({ designerId: d.id, computed: true, totalMatches: 1, avgMatchScore: 80, priorityScore: 100 })
    expect((await get(`${ME}/stats`, client)).statusCode).toBe(403)
  })
})
