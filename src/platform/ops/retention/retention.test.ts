import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aBrief, aClient, aDesigner, aMatch, anAdmin, bearer } from '../../../../test/support/onedesigner'
import { withUser } from '../../db/with-user'
import { aMusician } from '../../../../test/support/bandsy'
import { diskStorage } from '../../storage/storage'
import { ALL_APPS } from '../../../apps'
import { policiesOf, PolicyError, resolvePolicy } from './policies'
import { ArchiveError, countPolicy, restoreBatch, runPolicy } from './run'
import { ArchiveDriftError } from './archive-tables'
import { retentionJobs } from './jobs'

const DAY = 86_400_000

describe('retention policies', () => {
  let env: TestEnv
  let root: string
  const policy = (id: string) => policiesOf(ALL_APPS).find((p) => p.id === id)!
  const count = async (table: string) =>
    (await sql<{ n: number }>`select count(*)::int as n from ${sql.raw(table)}`.execute(env.platform.db.kysely)).rows[0].n

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'matchbase-retention-'))
    env = await createTestEnv({ overrides: { storage: diskStorage({ root }) } })
  })
  afterAll(async () => {
    await env.close()
    fs.rmSync(root, { recursive: true, force: true })
  })

  /** A match made `daysAgo` days ago; unlocked when asked, and then referenced by its unlock. */
  async function oldMatch(daysAgo: number, o: { unlocked?: boolean } = {}) {
    const p = env.platform
    const client = await aClient(p)
    const designer = await aDesigner(p)
    const brief = await aBrief(p, client)
    const match = await aMatch(p, { client, designer, brief })
    const at = new Date(p.clock.now().getTime() - daysAgo * DAY)
    await p.db.kysely
      .updateTable('onedesigner.matches')
      .set({ createdAt: at, ...(o.unlocked ? { status: 'unlocked', unlockedAt: at } : {}) })
      .where('id', '=', match.id)
      .execute()
    return { ...match, brief, client }
  }

  it('declares the seed table: every app policy resolves, and one job per policy', () => {
    const ids = policiesOf(ALL_APPS).map((p) => p.id)
    expect(ids).toEqual(
      expect.arrayContaining([
        'onedesigner-never-unlocked-matches',
        'onedesigner-expired-matches',
        'onedesigner-unused-briefs',
        'onedesigner-payment-records',
        'bandsy-deleted-users-anonymize',
        'bandsy-deleted-users-remove',
        'bandsy-stale-discovery-feeds',
        'platform-dev-mailbox',
      ]),
    )
    const jobs = retentionJobs(ALL_APPS)
    expect(jobs.map((j) => j.name)).toContain('onedesigner-retention-never-unlocked-matches')
    expect(jobs.every((j) => j.cron)).toBe(true)
  })

  it('refuses a malformed policy with a message naming it', () => {
    const base = { name: 'x', description: 'x', table: 'matches', ageColumn: 'created_at', age: '3 months', action: 'delete' as const }
    expect(() => resolvePolicy('onedesigner', { ...base, age: 'three months' })).toThrow(PolicyError)
    expect(() => resolvePolicy('onedesigner', { ...base, ageColumn: 'created_at; drop table x' })).toThrow(/onedesigner\/x/)
    expect(() => resolvePolicy('onedesigner', { ...base, table: 'bandsy.users' })).toThrow(/own schema/)
    expect(() => resolvePolicy('onedesigner', { ...base, action: 'anonymize' })).toThrow(/columns to set/)
  })

  it('a dry run counts what it would archive and changes nothing', async () => {
    const due = await oldMatch(120)
    await oldMatch(120, { unlocked: true })
    await oldMatch(10)
    const p = policy('onedesigner-never-unlocked-matches')
    const before = await count('onedesigner.matches')
    const out = await runPolicy(env.platform, p, { dryRun: true })
    expect(out.rows).toBe(await countPolicy(env.platform.db.kysely, p, env.platform.clock.now()))
    expect(out.rows).toBeGreaterThanOrEqual(1)
    expect(await count('onedesigner.matches')).toBe(before)
    expect(await count('platform.archive_batches')).toBe(0)
    expect(
      await env.platform.db.kysely.selectFrom('onedesigner.matches').select('id').where('id', '=', due.id).executeTakeFirst(),
    ).toBeDefined()
  })

  it('archives in batches to onedesigner_archive.matches, indexes and exports them, and restores them', async () => {
    const db = env.platform.db.kysely
    const due = await oldMatch(100)
    const kept = await oldMatch(100, { unlocked: true })
    const recent = await oldMatch(5)
    const p = policy('onedesigner-never-unlocked-matches')
    const dueCount = await countPolicy(db, p, env.platform.clock.now())
    const liveBefore = await count('onedesigner.matches')

    const out = await runPolicy(env.platform, p, { batchSize: 2 })
    expect(out.rows).toBe(dueCount)
    expect(out.batches.length).toBe(Math.ceil(dueCount / 2))
    expect(await count('onedesigner.matches')).toBe(liveBefore - dueCount)
    expect(await count('onedesigner_archive.matches')).toBe(dueCount)
    const live = await db.selectFrom('onedesigner.matches').select('id').execute()
    expect(live.map((r) => r.id)).toEqual(expect.arrayContaining([kept.id, recent.id]))
    expect(live.map((r) => r.id)).not.toContain(due.id)

    const entry = await sql<{ batch_id: number; policy: string }>`
      select batch_id, policy from platform.archive_index where row_key = jsonb_build_object('id', ${due.id}::uuid)`.execute(
      db.withoutPlugins(),
    )
    expect(entry.rows[0].policy).toBe('onedesigner-never-unlocked-matches')
    const batchId = entry.rows[0].batch_id

    // The compressed copy in storage holds the archived row as it was.
    const batch = await db.selectFrom('platform.archiveBatches').selectAll().where('id', '=', batchId).executeTakeFirstOrThrow()
    expect(batch.exportKey).toMatch(/^archive\/onedesigner\/onedesigner\.matches\/batch-\d+\.jsonl\.gz$/)
    const file = await env.platform.storage.get(batch.exportKey!)
    const chunks: Buffer[] = []
    for await (const c of file!.body) chunks.push(c as Buffer)
    const lines = gunzipSync(Buffer.concat(chunks))
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.length).toBe(batch.rowCount)
    expect(lines.find((l) => l.id === due.id)?.brief_id).toBe(due.brief.id)

    // Restore puts the batch back, and only once.
    const restored = await restoreBatch(env.platform, batchId)
    expect(restored.rows).toBe(batch.rowCount)
    expect(await db.selectFrom('onedesigner.matches').select('id').where('id', '=', due.id).executeTakeFirst()).toBeDefined()
    expect(await count('onedesigner_archive.matches')).toBe(dueCount - batch.rowCount)
    await expect(restoreBatch(env.platform, batchId)).rejects.toThrow(ArchiveError)
    await expect(restoreBatch(env.platform, 999_999)).rejects.toThrow(/No archive batch 999999/)
  })

  it('leaves a brief in place while a match refers to it, and archives it once the matches are gone', async () => {
    const db = env.platform.db.kysely
    const m = await oldMatch(400)
    const old = new Date(env.platform.clock.now().getTime() - 200 * DAY)
    await sql`update onedesigner.briefs set updated_at = ${old} where id = ${m.brief.id}`.execute(db)
    // touch_updated_at sets updated_at on every update: turn the clock instead.
    const later = { now: new Date(env.platform.clock.now().getTime() + 200 * DAY) }
    const briefs = policy('onedesigner-unused-briefs')
    const ids = async () => (await db.selectFrom('onedesigner.briefs').select('id').execute()).map((r) => r.id)
    await runPolicy(env.platform, briefs, later)
    expect(await ids()).toContain(m.brief.id)
    await runPolicy(env.platform, policy('onedesigner-never-unlocked-matches'), later)
    await runPolicy(env.platform, briefs, later)
    expect(await ids()).not.toContain(m.brief.id)
  })

  it('follows a column the live table gained, and refuses to run when the archive drifted otherwise', async () => {
    const db = env.platform.db.kysely
    const p = policy('onedesigner-never-unlocked-matches')
    await oldMatch(100)
    // What a later migration might do to the live table.
    await sql`alter table onedesigner.matches add column retention_probe text default 'probe'`.execute(db)
    await runPolicy(env.platform, p)
    const cols = await sql<{ column_name: string }>`
      select column_name from information_schema.columns where table_schema = 'onedesigner_archive' and table_name = 'matches'`.execute(
      db.withoutPlugins(),
    )
    expect(cols.rows.map((c) => c.column_name)).toContain('retention_probe')

    await sql`alter table onedesigner_archive.matches alter column retention_probe type integer using null`.execute(db)
    await oldMatch(100)
    const before = await count('onedesigner.matches')
    await expect(runPolicy(env.platform, p)).rejects.toThrow(ArchiveDriftError)
    await expect(runPolicy(env.platform, p)).rejects.toThrow(/retention_probe is text in the live table but integer in the archive/)
    expect(await count('onedesigner.matches')).toBe(before)
    await sql`alter table onedesigner_archive.matches drop column retention_probe`.execute(db)
    await sql`alter table onedesigner.matches drop column retention_probe`.execute(db)
  })

  it('anonymizes deleted musicians after 30 days and removes them after 90 unless payments need them', async () => {
    const db = env.platform.db.kysely
    const now = env.platform.clock.now()
    const gone = await aMusician(env.platform, { deleted: true })
    const paid = await aMusician(env.platform, { deleted: true })
    const active = await aMusician(env.platform)
    await db
      .insertInto('bandsy.subscriptionPurchases')
      .values({ userId: paid.id, planType: 'premium', amountCents: 999, currency: 'EUR', provider: 'local', status: 'succeeded' })
      .execute()
    await db
      .updateTable('bandsy.users')
      .set({ deletedAt: new Date(now.getTime() - 40 * DAY) })
      .where('id', 'in', [gone.id, paid.id])
      .execute()

    const anonymize = policy('bandsy-deleted-users-anonymize')
    expect((await runPolicy(env.platform, anonymize, { dryRun: true })).rows).toBe(2)
    expect((await runPolicy(env.platform, anonymize)).rows).toBe(2)
    expect((await runPolicy(env.platform, anonymize)).rows).toBe(0)
    const row = await db.selectFrom('bandsy.users').selectAll().where('id', '=', gone.id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ email: null, displayName: 'Deleted musician', city: null, latitude: null })
    expect(row.username).toMatch(/^deleted-/)
    const untouched = await db.selectFrom('bandsy.users').select('email').where('id', '=', active.id).executeTakeFirstOrThrow()
    expect(untouched.email).toBe(active.email)

    const remove = policy('bandsy-deleted-users-remove')
    expect((await runPolicy(env.platform, remove)).rows).toBe(0)
    const later = new Date(now.getTime() + 60 * DAY)
    expect((await runPolicy(env.platform, remove, { now: later })).rows).toBe(1)
    const left = (await db.selectFrom('bandsy.users').select('id').where('id', 'in', [gone.id, paid.id]).execute()).map((r) => r.id)
    expect(left).toEqual([paid.id])
    expect(await db.selectFrom('bandsy.userGenres').select('userId').where('userId', '=', gone.id).execute()).toEqual([])
  })

  it('lists and reads archived records for the app admins only, under row-level security', async () => {
    const p = env.platform
    const due = await oldMatch(150)
    const out = await runPolicy(p, policy('onedesigner-never-unlocked-matches'))
    expect(out.batches.length).toBeGreaterThan(0)
    const admin = await anAdmin(p)
    const client = await aClient(p)
    const musician = await aMusician(p)

    const list = await env.http.inject({ url: '/v1/onedesigner/admin/archive/batches?table=matches', headers: bearer(admin) })
    expect(list.statusCode).toBe(200)
    const batchId = out.batches[0]
    expect(list.json().batches.map((b: { id: number }) => b.id)).toContain(batchId)

    const one = await env.http.inject({ url: `/v1/onedesigner/admin/archive/batches/${batchId}?limit=500`, headers: bearer(admin) })
    expect(one.statusCode).toBe(200)
    expect(one.json().rows.map((r: { id: string }) => r.id)).toContain(due.id)
    expect(one.json().rows[0]).toHaveProperty('briefId')

    expect((await env.http.inject({ url: '/v1/onedesigner/admin/archive/batches', headers: bearer(client) })).statusCode).toBe(403)
    expect((await env.http.inject({ url: '/v1/onedesigner/admin/archive/batches' })).statusCode).toBe(401)
    // Bandsy signs in no admins: no archive routes at all.
    expect((await env.http.inject({ url: '/v1/bandsy/admin/archive/batches', headers: bearer(musician) })).statusCode).toBe(404)
    expect((await env.http.inject({ url: '/v1/onedesigner/admin/archive/batches/999999', headers: bearer(admin) })).statusCode).toBe(404)
    expect((await env.http.inject({ url: '/v1/onedesigner/admin/archive/batches/abc', headers: bearer(admin) })).statusCode).toBe(400)

    // Straight to the tables as a non-admin user, or as an admin of another app: nothing.
    const asClient = { sub: client.id, role: 'client', app: 'onedesigner' }
    const asBandsyAdmin = { sub: admin.id, role: 'admin', app: 'bandsy' }
    for (const claims of [asClient, asBandsyAdmin]) {
      const rows = await withUser(p.db.kysely, claims, async (tx) => ({
        archived: (await sql`select * from onedesigner_archive.matches`.execute(tx)).rows.length,
        batches: (await tx.selectFrom('platform.archiveBatches').select('id').execute()).length,
      }))
      expect(rows).toEqual({ archived: 0, batches: 0 })
    }
  })
})
