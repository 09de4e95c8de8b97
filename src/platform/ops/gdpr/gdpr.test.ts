import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aBrief, aClient, aDesigner, aMatch, bearer } from '../../../../test/support/onedesigner'
import { aMusician, bearer as bandsyBearer } from '../../../../test/support/bandsy'
import { diskStorage } from '../../storage/storage'
import { ALL_APPS } from '../../../apps'
import { eraseUser, exportUser, GdprError } from './gdpr'

/** Every text or JSON value in every table of every schema that holds the string (audit receipts aside). */
async function findEverywhere(env: TestEnv, needle: string): Promise<string[]> {
  const db = env.platform.db.kysely.withoutPlugins()
  const { rows: cols } = await sql<{ table_schema: string; table_name: string; column_name: string }>`
    select c.table_schema, c.table_name, c.column_name from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
    where c.table_schema not in ('pg_catalog', 'information_schema')
      and (c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY') or c.udt_name = 'citext')`.execute(db)
  const hits: string[] = []
  for (const c of cols) {
    const t = `"${c.table_schema}"."${c.table_name}"`
    const receipt = c.table_schema === 'platform' && c.table_name === 'audit_log' ? ` and action <> 'gdpr.erase'` : ''
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from ${sql.raw(t)} where ${sql.raw(`"${c.column_name}"`)}::text ilike ${`%${needle}%`} ${sql.raw(receipt)}`.execute(
      db,
    )
    if (rows[0].n) hits.push(`${c.table_schema}.${c.table_name}.${c.column_name}`)
  }
  return hits
}

const count = async (env: TestEnv, table: string) =>
  (await sql<{ n: number }>`select count(*)::int as n from ${sql.raw(table)}`.execute(env.platform.db.kysely)).rows[0].n

describe('GDPR export and erasure', () => {
  let env: TestEnv
  let root: string
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'matchbase-gdpr-'))
    env = await createTestEnv({ overrides: { storage: diskStorage({ root }) } })
  })
  afterAll(async () => {
    await env.close()
    fs.rmSync(root, { recursive: true, force: true })
  })

  /** A OneDesigner client with a brief, a match, a payment, a sign-in code, mail and a session. */
  async function aClientWithHistory() {
    const p = env.platform
    const tag = randomUUID().slice(0, 8)
    const firstName = `Zephyrine${tag}`
    const lastName = `Quillfeather${tag}`
    const client = await aClient(p, { firstName, email: `zq-${tag}@example.test` })
    await p.db.kysely.updateTable('onedesigner.clients').set({ lastName }).where('id', '=', client.id).execute()
    const brief = await aBrief(p, client, { description: `Brand for ${firstName} ${lastName}'s bakery` })
    await aMatch(p, { client, designer: await aDesigner(p), brief })
    await p.db.kysely
      .insertInto('onedesigner.creditPurchases')
      .values({
        clientId: client.id,
        packageId: (await p.db.kysely.selectFrom('onedesigner.creditPackages').select('id').executeTakeFirstOrThrow()).id,
        credits: 5,
        amountCents: 500,
        currency: 'EUR',
        provider: 'local',
        status: 'succeeded',
        metadata: JSON.stringify({ receiptEmail: client.email }),
      })
      .execute()
    await p.db.kysely
      .insertInto('onedesigner.authTokens')
      .values({ email: client.email, code: 'hash', type: 'client', purpose: 'login', expiresAt: p.clock.now() })
      .execute()
    await p.db.kysely
      .insertInto('platform.devMailbox')
      .values({ toAddress: client.email, subject: 'Your code', textBody: `Hi ${firstName}` })
      .execute()
    await p.db.kysely
      .insertInto('platform.refreshTokens')
      .values({ app: 'onedesigner', userId: client.id, role: 'client', tokenHash: `h-${tag}`, expiresAt: p.clock.now() })
      .execute()
    await p.db.kysely
      .insertInto('onedesigner.notifications')
      .values({ userId: client.id, type: 'test', title: `Hello ${firstName}` })
      .execute()
    return { ...client, firstName, lastName, brief }
  }

  it('refuses an unknown user id and a malformed one with a clear error', async () => {
    await expect(exportUser(env.platform, ALL_APPS, randomUUID())).rejects.toThrow(/No user .* in onedesigner, bandsy/)
    await expect(eraseUser(env.platform, ALL_APPS, 'not-a-uuid')).rejects.toThrow(GdprError)
    await expect(exportUser(env.platform, ALL_APPS, randomUUID(), 'nope')).rejects.toThrow(/Unknown app nope/)
  })

  it('exports every row that refers to the user, over the API too', async () => {
    const c = await aClientWithHistory()
    const data = await exportUser(env.platform, ALL_APPS, c.id)
    expect(data.user).toEqual({ app: 'onedesigner', table: 'onedesigner.clients', id: c.id })
    expect(data.tables['onedesigner.clients'][0]).toMatchObject({ email: c.email, first_name: c.firstName })
    expect(data.tables['onedesigner.briefs'].map((b) => b.id)).toEqual([c.brief.id])
    for (const t of [
      'onedesigner.notifications',
      'onedesigner.matches',
      'onedesigner.credit_purchases',
      'onedesigner.auth_tokens',
      'platform.dev_mailbox',
      'platform.refresh_tokens',
    ])
      expect(data.tables[t]?.length, t).toBeGreaterThan(0)

    const res = await env.http.inject({ url: '/v1/onedesigner/me/export', headers: bearer(c) })
    expect(res.statusCode).toBe(200)
    expect(res.json().tables['onedesigner.clients'][0].email).toBe(c.email)
    expect((await env.http.inject({ url: '/v1/onedesigner/me/export' })).statusCode).toBe(401)
  })

  it('a dry run of an erasure says what it would do and changes nothing', async () => {
    const c = await aClientWithHistory()
    const tables = ['onedesigner.clients', 'onedesigner.briefs', 'onedesigner.matches', 'platform.dev_mailbox', 'platform.audit_log']
    const before = await Promise.all(tables.map((t) => count(env, t)))
    const receipt = await eraseUser(env.platform, ALL_APPS, c.id, { dryRun: true })
    expect(receipt.steps).toContainEqual(expect.objectContaining({ table: 'onedesigner.briefs', action: 'delete', rows: 1 }))
    expect(receipt.steps).toContainEqual(expect.objectContaining({ table: 'onedesigner.clients', action: 'anonymize', rows: 1 }))
    expect(await Promise.all(tables.map((t) => count(env, t)))).toEqual(before)
    expect(await findEverywhere(env, c.email)).not.toEqual([])
  })

  it('erases a client: nothing with their email or name is left outside the receipt; payments stay, anonymized', async () => {
    const c = await aClientWithHistory()
    const receipt = await eraseUser(env.platform, ALL_APPS, c.id)
    for (const needle of [c.email, c.firstName, c.lastName]) expect(await findEverywhere(env, needle), needle).toEqual([])
    const purchases = await env.platform.db.kysely
      .selectFrom('onedesigner.creditPurchases')
      .selectAll()
      .where('clientId', '=', c.id)
      .execute()
    expect(purchases).toHaveLength(1)
    expect(purchases[0].amountCents).toBe(500)
    const audit = await env.platform.db.kysely
      .selectFrom('platform.auditLog')
      .selectAll()
      .where('action', '=', 'gdpr.erase')
      .where('subjectId', '=', c.id)
      .executeTakeFirstOrThrow()
    expect(audit.data).toMatchObject({
      steps: expect.arrayContaining([expect.objectContaining({ table: 'onedesigner.briefs', action: 'delete', rows: 1 })]),
    })
    expect(receipt.steps.find((s) => s.table === 'onedesigner.credit_purchases')?.action).toBe('anonymize')
    // The row stays for the payments, anonymized: an export now holds nothing that names them.
    const after = await env.http.inject({ url: '/v1/onedesigner/me/export', headers: bearer(c) })
    expect(after.statusCode).toBe(200)
    for (const needle of [c.email, c.firstName, c.lastName]) expect(after.body).not.toContain(needle)
  })

  it('erases a musician with their stored files, and exports the files first', async () => {
    const p = env.platform
    const m = await aMusician(p, { displayName: `Orinthia ${randomUUID().slice(0, 6)}` })
    const key = `bandsy/samples/${m.id}/${randomUUID()}.mp3`
    await p.storage.put(key, Buffer.from('ID3 not really audio'), { contentType: 'audio/mpeg' })
    await p.db.kysely
      .insertInto('bandsy.mediaSamples')
      .values({ userId: m.id, title: 'Demo', fileUrl: `/files/${key}`, fileKey: key, fileType: 'audio' })
      .execute()
    const data = await exportUser(p, ALL_APPS, m.id, 'bandsy')
    expect(data.files).toEqual([expect.objectContaining({ key, contentType: 'audio/mpeg' })])
    expect(Buffer.from(data.files[0].base64, 'base64').toString()).toBe('ID3 not really audio')

    const receipt = await eraseUser(p, ALL_APPS, m.id)
    expect(receipt.files).toBe(1)
    expect((await env.http.inject({ url: '/v1/bandsy/me/export', headers: bandsyBearer(m) })).statusCode).toBe(404)
    expect(await p.storage.exists(key)).toBe(false)
    expect(await p.db.kysely.selectFrom('bandsy.users').select('id').where('id', '=', m.id).executeTakeFirst()).toBeUndefined()
    const name = (data.tables['bandsy.users'][0] as { display_name: string }).display_name
    for (const needle of [m.email, name, m.username]) expect(await findEverywhere(env, needle), needle).toEqual([])
  })
})
