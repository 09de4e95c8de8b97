import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aClient, aDesigner, anAdmin, bearer, type TestUser } from '../../../../test/support/onedesigner'
import { withUser } from '../../../platform'

// The embedder belongs to matching; here it only has to be called, and to fail on demand: this
// test's platform gets an embedder that counts its calls and fails when told (no module mock, so
// the file runs the same whether or not test files share their modules).
const embedder = { fail: false, calls: 0 }

const ADMIN = '/v1/onedesigner/admin/designers'

describe('admin approval workflow', () => {
  let env: TestEnv
  let admin: TestUser
  let client: TestUser
  beforeAll(async () => {
    env = await createTestEnv()
    const ai = env.platform.ai
    const embed = ai.embed.bind(ai)
    ai.embed = async (texts) => {
      embedder.calls++
      if (embedder.fail) throw new Error('embedder down')
      return embed(texts)
    }
    admin = await anAdmin(env.platform)
    client = await aClient(env.platform)
  })
  afterAll(() => env.close())
  beforeEach(() => {
    embedder.fail = false
    embedder.calls = 0
  })

  const list = (status: string, user: TestUser = admin, extra = '') =>
    env.http.inject({ method: 'GET', url: `${ADMIN}?status=${status}${extra}`, headers: bearer(user) })
  const approve = (id: string, user: TestUser = admin) =>
    env.http.inject({ method: 'POST', url: `${ADMIN}/${id}/approve`, headers: bearer(user) })
  const reject = (id: string, payload: unknown, user: TestUser = admin) =>
    env.http.inject({ method: 'POST', url: `${ADMIN}/${id}/reject`, headers: bearer(user), payload: payload as object })
  const auditOf = (id: string) =>
    env.platform.db.kysely.selectFrom('platform.auditLog').selectAll().where('subjectId', '=', id).orderBy('id').execute()
  const ids = (res: { json(): { designers: { id: string }[] } }) => res.json().designers.map((d) => d.id)

  it('approves a pending designer, computes the embedding and audits it', async () => {
    const d = await aDesigner(env.platform, { approved: false })
    expect(ids(await list('pending'))).toContain(d.id)
    const res = await approve(d.id)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      embeddingRefreshed: true,
      designer: { id: d.id, isApproved: true, status: 'approved', rejectionReason: null, editedAfterApproval: false },
    })
    expect(res.json().designer.lastApprovedAt).toBe(env.clock.now().toISOString())
    expect(embedder.calls).toBe(1)
    const stored = await env.platform.db.kysely
      .selectFrom('onedesigner.designerEmbeddings')
      .select('needsUpdate')
      .where('designerId', '=', d.id)
      .executeTakeFirst()
    expect(stored?.needsUpdate).toBe(false)
    expect(ids(await list('pending'))).not.toContain(d.id)
    expect(ids(await list('approved'))).toContain(d.id)
    // visible to clients now
    expect((await env.http.inject({ method: 'GET', url: `/v1/onedesigner/designers/${d.id}`, headers: bearer(client) })).statusCode).toBe(
      200,
    )
    const audit = await auditOf(d.id)
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({
      app: 'onedesigner',
      actorId: admin.id,
      actorRole: 'admin',
      action: 'designer.approve',
      subjectType: 'designer',
    })
  })

  it('keeps the approval when the embedding cannot be computed', async () => {
    const d = await aDesigner(env.platform, { approved: false })
    embedder.fail = true
    const res = await approve(d.id)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ embeddingRefreshed: false, designer: { isApproved: true } })
    expect((await env.http.inject({ method: 'GET', url: `${ADMIN}/${d.id}`, headers: bearer(admin) })).json().isApproved).toBe(true)
    // The admin's read of one designer (with email) is audited too.
    expect((await auditOf(d.id)).map((a) => a.action)).toEqual(['designer.approve', 'designer.read'])
  })

  it('rejects with a reason the designer can read, and audits it', async () => {
    const d = await aDesigner(env.platform, { approved: false })
    const res = await reject(d.id, { reason: '  Portfolio links are broken.  ' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ isApproved: false, status: 'rejected', rejectionReason: 'Portfolio links are broken.' })
    expect(ids(await list('rejected'))).toContain(d.id)
    expect(ids(await list('pending'))).not.toContain(d.id)
    const own = await env.http.inject({ method: 'GET', url: '/v1/onedesigner/designers/me', headers: bearer(d) })
    expect(own.json()).toMatchObject({ status: 'rejected', rejectionReason: 'Portfolio links are broken.' })
    const audit = await auditOf(d.id)
    expect(audit.map((a) => a.action)).toEqual(['designer.reject'])
    expect(audit[0].data).toMatchObject({ reason: 'Portfolio links are broken.' })
    // approving later clears the rejection
    const ok = await approve(d.id)
    expect(ok.json().designer).toMatchObject({ status: 'approved', rejectionReason: null })
  })

  it('sends a rejected designer who changes their profile back to the pending queue', async () => {
    const d = await aDesigner(env.platform, { approved: false })
    await reject(d.id, { reason: 'Add case studies' })
    const me = '/v1/onedesigner/designers/me'
    const availability = await env.http.inject({ method: 'PATCH', url: me, headers: bearer(d), payload: { availabilityStatus: 'busy' } })
    expect(availability.json()).toMatchObject({ status: 'rejected' })
    const res = await env.http.inject({
      method: 'PATCH',
      url: me,
      headers: bearer(d),
      payload: { caseStudies: [{ title: 'Cafe rebrand', url: 'https://example.com/cafe' }] },
    })
    expect(res.json()).toMatchObject({
      status: 'pending',
      rejectionReason: null,
      previousRejectionReason: 'Add case studies',
      isApproved: false,
    })
    expect(ids(await list('pending'))).toContain(d.id)
    expect(ids(await list('rejected'))).not.toContain(d.id)
  })

  it('rejecting an approved designer hides them from clients', async () => {
    const d = await aDesigner(env.platform, { approved: true })
    expect((await reject(d.id, { reason: 'Plagiarised portfolio' })).statusCode).toBe(200)
    expect((await env.http.inject({ method: 'GET', url: `/v1/onedesigner/designers/${d.id}`, headers: bearer(client) })).statusCode).toBe(
      404,
    )
  })

  it('puts approved designers who edit their profile in the re-review list until re-approved', async () => {
    const d = await aDesigner(env.platform, { approved: true })
    expect(ids(await list('edited'))).not.toContain(d.id)
    const edit = await env.http.inject({
      method: 'PATCH',
      url: '/v1/onedesigner/designers/me',
      headers: bearer(d),
      payload: { professionalTitle: 'Art Director' },
    })
    expect(edit.json().editedAfterApproval).toBe(true)
    expect(ids(await list('edited'))).toContain(d.id)
    expect(ids(await list('approved'))).toContain(d.id)
    const res = await approve(d.id)
    expect(res.json().designer).toMatchObject({ editedAfterApproval: false, isApproved: true })
    expect(ids(await list('edited'))).not.toContain(d.id)
    expect((await auditOf(d.id))[0].data).toMatchObject({ wasApproved: true, wasEditedAfterApproval: true })
  })

  it('refuses to approve a designer with no category', async () => {
    const d = await aDesigner(env.platform, { approved: false, categories: [] })
    const res = await approve(d.id)
    expect(res.statusCode).toBe(422)
    expect(res.json().error.details).toMatchObject({ field: 'categories' })
    expect(await auditOf(d.id)).toHaveLength(0)
  })

  it('pages the lists and defaults to the pending queue', async () => {
    for (let i = 0; i < 3; i++) await aDesigner(env.platform, { approved: false })
    const page = await env.http.inject({ method: 'GET', url: `${ADMIN}?limit=2&offset=1`, headers: bearer(admin) })
    expect(page.statusCode).toBe(200)
    expect(page.json().designers).toHaveLength(2)
    expect(page.json().total).toBeGreaterThanOrEqual(3)
    expect(page.json().designers[0]).toHaveProperty('email')
  })

  it('lets nobody but admins list, approve or reject', async () => {
    const d = await aDesigner(env.platform, { approved: false })
    for (const user of [client, d]) {
      expect((await list('pending', user)).statusCode).toBe(403)
      expect((await approve(d.id, user)).statusCode).toBe(403)
      expect((await reject(d.id, { reason: 'x' }, user)).statusCode).toBe(403)
      expect((await env.http.inject({ method: 'GET', url: `${ADMIN}/${d.id}`, headers: bearer(user) })).statusCode).toBe(403)
    }
    expect((await env.http.inject({ method: 'GET', url: `${ADMIN}?status=pending` })).statusCode).toBe(401)
    const bandsy = await env.platform.tokens.sign({ sub: admin.id, role: 'admin', app: 'bandsy' })
    expect((await env.http.inject({ method: 'GET', url: ADMIN, headers: { authorization: `Bearer ${bandsy}` } })).statusCode).toBe(401)
    expect(embedder.calls).toBe(0)
  })

  it('RLS: only admin claims see pending designers or change approval', async () => {
    const d = await aDesigner(env.platform, { approved: false })
    const db = env.platform.db.kysely
    for (const claims of [
      { sub: client.id, role: 'client', app: 'onedesigner' },
      { sub: (await aDesigner(env.platform)).id, role: 'designer', app: 'onedesigner' },
      // An admin of another app is nobody here.
      { sub: admin.id, role: 'admin', app: 'bandsy' },
    ]) {
      const seen = await withUser(db, claims, (tx) =>
        tx.selectFrom('onedesigner.designers').select('id').where('isApproved', '=', false).execute(),
      )
      expect(seen).toEqual([])
      const changed = await withUser(db, claims, (tx) =>
        tx.updateTable('onedesigner.designers').set({ isApproved: true }).where('id', '=', d.id).executeTakeFirst(),
      )
      expect(Number(changed.numUpdatedRows)).toBe(0)
    }
    const asAdmin = await withUser(db, { sub: admin.id, role: 'admin', app: 'onedesigner' }, (tx) =>
      tx.selectFrom('onedesigner.designers').select('id').where('id', '=', d.id).execute(),
    )
    expect(asAdmin).toHaveLength(1)
  })

  it('answers bad input with 4xx JSON', async () => {
    const d = await aDesigner(env.platform, { approved: false })
    const cases: [Promise<{ statusCode: number; json(): any }>, number, RegExp][] = [
      [list('everyone'), 400, /status/],
      [list('pending', admin, '&limit=0'), 400, /limit/],
      [list('pending', admin, '&limit=abc'), 400, /limit/],
      [list('pending', admin, '&offset=-1'), 400, /offset/],
      [approve('nope'), 400, /params\.id/],
      [approve('00000000-0000-4000-8000-000000000000'), 404, /Designer/],
      [reject(d.id, {}), 400, /reason/],
      [reject(d.id, { reason: '   ' }), 400, /reason/],
      [reject(d.id, { reason: 'x'.repeat(1001) }), 400, /reason/],
      [reject(d.id, { reason: 42 }), 400, /reason/],
      [reject(d.id, { reason: 'ok', extra: true }), 400, /extra|Unrecognized/],
      [reject('00000000-0000-4000-8000-000000000000', { reason: 'x' }), 404, /Designer/],
      [env.http.inject({ method: 'GET', url: `${ADMIN}/00000000-0000-4000-8000-000000000000`, headers: bearer(admin) }), 404, /Designer/],
    ]
    for (const [pending, status, message] of cases) {
      const res = await pending
      expect(res.statusCode, message.source).toBe(status)
      expect(res.json().error.message).toMatch(message)
    }
    const noBody = await env.http.inject({
      method: 'POST',
      url: `${ADMIN}/${d.id}/reject`,
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      payload: '',
    })
    expect(noBody.statusCode).toBe(400)
    expect(await auditOf(d.id)).toHaveLength(0)
  })
})
