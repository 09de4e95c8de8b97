import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { CATEGORIES } from './catalog'
import { DEMO_ADMIN, DEMO_CLIENTS, isSeeded, seed } from './seed'
import { demoDesigners } from './designers/demo-profiles'
import { profilePatchSchema } from './designers/profile-schema'
import { stepUpAdmin } from '../../../test/support/second-factor'

describe('OneDesigner demo data', () => {
  let env: TestEnv
  let lines: string[]
  const steps: [number, number, string][] = []
  let ms = 0
  beforeAll(async () => {
    env = await createTestEnv()
    expect(await isSeeded(env.platform)).toBe(false)
    const t = performance.now()
    lines = await seed(env.platform, { progress: (d, total, label) => steps.push([d, total, label]) })
    ms = performance.now() - t
  })
  afterAll(() => env.close())
  const db = () => env.platform.db.kysely

  it('loads about 200 designers over every category, mostly approved and available', async () => {
    const rows = await db()
      .selectFrom('onedesigner.designers')
      .select(['categories', 'isApproved', 'availabilityStatus', 'editedAfterApproval', 'rejectionReason'])
      .execute()
    expect(rows).toHaveLength(200)
    const approved = rows.filter((r) => r.isApproved)
    for (const c of CATEGORIES) expect(approved.filter((r) => r.categories!.includes(c)).length, c).toBeGreaterThanOrEqual(20)
    expect(approved.filter((r) => r.availabilityStatus === 'available').length / approved.length).toBeGreaterThan(0.7)
    expect(rows.filter((r) => !r.isApproved && !r.rejectionReason).length).toBeGreaterThanOrEqual(3)
    expect(rows.filter((r) => r.isApproved && r.editedAfterApproval)).toHaveLength(1)
    expect(rows.filter((r) => r.rejectionReason)).toHaveLength(1)
    console.info(`seeded 200 designers in ${Math.round(ms)} ms`)
  })

  it('varies profiles and keeps every one valid for the profile API', async () => {
    const profiles = demoDesigners(200)
    expect(new Set(profiles.map((p) => p.email)).size).toBe(200)
    expect(new Set(profiles.map((p) => p.bio)).size).toBeGreaterThan(190)
    expect(new Set(profiles.map((p) => p.rateRange)).size).toBe(4)
    for (const p of profiles) {
      const { email: _e, review: _r, joinedDaysAgo: _j, ...profile } = p
      const parsed = profilePatchSchema.safeParse(profile)
      expect(parsed.success, `${p.email}: ${parsed.error?.message}`).toBe(true)
    }
    expect(demoDesigners(50)).toEqual(demoDesigners(50))
  })

  it('creates clients with credits written to the ledger, an admin and demo briefs', async () => {
    const clients = await db().selectFrom('onedesigner.clients').select(['id', 'email', 'matchCredits']).execute()
    expect(clients.map((c) => c.email).sort()).toEqual(DEMO_CLIENTS.map((c) => c.email).sort())
    for (const c of clients) {
      expect(c.matchCredits).toBeGreaterThan(0)
      const ledger = await db().selectFrom('platform.ledgerEntries').select(['delta', 'reason']).where('accountId', '=', c.id).execute()
      expect(ledger).toEqual([{ delta: c.matchCredits, reason: 'seed' }])
    }
    expect(await db().selectFrom('onedesigner.admins').select('email').execute()).toEqual([{ email: DEMO_ADMIN }])
    const briefs = await db().selectFrom('onedesigner.briefs').select(['status']).execute()
    expect(briefs.length).toBeGreaterThanOrEqual(1)
  })

  it('computes embeddings, or says why not', async () => {
    const { n } = await db()
      .selectFrom('onedesigner.designerEmbeddings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    const failed = lines.find((l) => /embeddings could not be computed/.test(l))
    if (failed) expect(Number(n)).toBe(0)
    else expect(Number(n)).toBe(200)
  })

  it('reports progress and prints how to log in', () => {
    expect(steps.length).toBeGreaterThan(1)
    expect(steps.at(-1)![0]).toBe(steps.at(-1)![1])
    expect(lines.join('\n')).toMatch(/alex@client\.local/)
    expect(lines.join('\n')).toMatch(/\/v1\/dev\/mailbox\?email=alex@client\.local/)
    expect(lines.join('\n')).toMatch(new RegExp(DEMO_ADMIN))
  })

  it('seeds once: a second run adds nothing', async () => {
    expect(await isSeeded(env.platform)).toBe(true)
    const again = await seed(env.platform)
    expect(again[0]).toMatch(/already loaded/)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from onedesigner.designers`.execute(db())
    expect(rows[0].n).toBe(200)
  })

  it('lets the demo admin see the approval queues over HTTP', async () => {
    const admin = await db().selectFrom('onedesigner.admins').select(['id', 'email']).executeTakeFirstOrThrow()
    // Admin routes need the second factor on top of the sign-in.
    const { token } = await stepUpAdmin(env.platform, 'onedesigner', admin)
    const pending = await env.http.inject({
      method: 'GET',
      url: '/v1/onedesigner/admin/designers?status=pending',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(pending.json().total).toBeGreaterThanOrEqual(3)
    const edited = await env.http.inject({
      method: 'GET',
      url: '/v1/onedesigner/admin/designers?status=edited',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(edited.json().total).toBe(1)
  })
})
