// Scale-out: a streaming replica serves lag-tolerant reads, with read-your-writes. Proves that
//   - withUserRead runs on the replica (pg_is_in_recovery(), the replica's port) for a user with
//     no recent write, and GET /briefs and GET /notifications are served from there;
//   - a user's read right after their own write sees it, 200 times over HTTP, because it goes to
//     the primary until the replica has replayed that write;
//   - with replay paused on the replica, the writer still reads their write (on the primary) while
//     another user's lag-tolerant read is served by the stale replica.
// It runs its own primary and hot standby (test/support/pg-cluster.ts), never the shared server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { testConfig } from '../../src/platform/config'
import { createPlatform, type Platform } from '../../src/platform/platform'
import { buildHttp } from '../../src/platform/http/server'
import { openDatabase } from '../../src/platform/db/database'
import { withUser, withUserRead, type Claims } from '../../src/platform/db/with-user'
import { readRoutingOf } from '../../src/platform/db/read-routing'
import { migrateUp } from '../../src/platform/migrate/migrator'
import { migrationSources } from '../../src/server'
import { ALL_APPS } from '../../src/apps'
import type { Http } from '../../src/platform/app'
import { aBrief, aClient, bearer, type TestUser } from '../support/onedesigner'
import { behindPooler, onServer } from '../support/test-env'
import { clusterUnavailableReason, createCluster, createReplica, type PgCluster } from '../support/pg-cluster'

const skipReason = !onServer
  ? 'TEST_DATABASE_URL is not set (server-only suite: it starts a primary and a streaming replica of its own)'
  : behindPooler
    ? 'the run through PgBouncer: this suite runs on clusters of its own, which the pooler does not front (it ran on the direct server pass)'
    : clusterUnavailableReason()
if (skipReason) console.warn(`[scale] replica suite skipped: ${skipReason}`)
const describeReplica = skipReason ? describe.skip : describe

const BRIEFS = '/v1/onedesigner/briefs'
const NOTIFICATIONS = '/v1/onedesigner/notifications'

describeReplica(`scale: streaming replica with read-your-writes${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let primary: PgCluster | undefined
  let replica: PgCluster | undefined
  let platform: Platform
  let http: Http

  const whereAmI = sql<{ recovering: boolean; port: number }>`select pg_is_in_recovery() as recovering, inet_server_port() as port`

  beforeAll(async () => {
    primary = await createCluster()
    replica = await createReplica(primary)
    const config = testConfig({ DATABASE_URL: primary.url(), DATABASE_READ_URL: replica.url(), USER_RATE_LIMIT_FACTOR: '0' })
    const db = await openDatabase(config)
    const { rows } = await sql<{ level: string }>`select current_setting('wal_level') as level`.execute(db.kysely)
    expect(rows[0].level).toBe('replica')
    await migrateUp(db.kysely, migrationSources(ALL_APPS))
    platform = await createPlatform(config, { db })
    http = await buildHttp(platform, ALL_APPS, { docs: false })
    await http.ready()
    // The schema arrives on the replica by streaming, like every later write.
    await waitFor(async () => {
      const r = await sql<{ n: number }>`select count(*)::int as n from pg_tables where schemaname = 'onedesigner'`.execute(
        platform.db.reader,
      )
      return r.rows[0].n > 0
    })
  }, 180_000)

  afterAll(async () => {
    await http?.close()
    await platform?.close()
    await replica?.destroy()
    await primary?.destroy()
  })

  it('the replica is a hot standby streaming from the primary', async () => {
    const onPrimary = await whereAmI.execute(platform.db.kysely)
    const onReplica = await whereAmI.execute(platform.db.reader)
    expect(onPrimary.rows[0]).toEqual({ recovering: false, port: primary!.port })
    expect(onReplica.rows[0]).toEqual({ recovering: true, port: replica!.port })
    const { rows } = await sql<{ state: string }>`select state from pg_stat_replication`.execute(platform.db.kysely)
    expect(rows.map((r) => r.state)).toEqual(['streaming'])
  })

  it('serves a lag-tolerant read on the replica, under the user’s row-level security', async () => {
    const client = await aClient(platform)
    const claims: Claims = { sub: client.id, role: 'client', app: 'onedesigner' }
    const where = await withUserRead(platform, claims, async (tx) => {
      const { rows } = await whereAmI.execute(tx)
      const role = await sql<{ role: string }>`select current_user as role`.execute(tx)
      return { ...rows[0], role: role.rows[0].role }
    })
    expect(where).toEqual({ recovering: true, port: replica!.port, role: 'matchbase_user' })
  })

  it('GET /briefs and GET /notifications are answered from the replica', async () => {
    const client = await aClient(platform)
    const lists = async () => {
      const briefs = await http.inject({ method: 'GET', url: BRIEFS, headers: bearer(client) })
      const notifications = await http.inject({ method: 'GET', url: NOTIFICATIONS, headers: bearer(client) })
      expect(briefs.statusCode, briefs.body).toBe(200)
      expect(notifications.statusCode, notifications.body).toBe(200)
      return { briefs: briefs.json().total, notifications: notifications.json().notifications.length }
    }
    await sql`select pg_wal_replay_pause()`.execute(platform.db.reader)
    try {
      await waitFor(async () => {
        const r = await sql<{ state: string }>`select pg_get_wal_replay_pause_state() as state`.execute(platform.db.reader)
        return r.rows[0].state === 'paused'
      })
      // Written by the system (not by this user), so the user is not owed them at once: a stale
      // replica answers without them, which is only possible if the replica answers.
      await aBrief(platform, client)
      await platform.db.kysely
        .transaction()
        .execute((tx) => platform.notify.notify(tx, { app: 'onedesigner', userId: client.id, type: 'welcome', title: 'Hello' }))
      expect(await lists()).toEqual({ briefs: 0, notifications: 0 })
    } finally {
      await sql`select pg_wal_replay_resume()`.execute(platform.db.reader)
    }
    await waitFor(async () => (await lists()).briefs === 1)
    expect(await lists()).toEqual({ briefs: 1, notifications: 1 })
  })

  it('a user reads their own write right after it, 200 times (read-your-writes)', async () => {
    const client = await aClient(platform)
    let onReplica = 0
    for (let i = 0; i < 200; i++) {
      const created = await http.inject({
        method: 'POST',
        url: BRIEFS,
        headers: bearer(client),
        payload: { projectType: 'branding-logo', projectTitle: `Brief ${i}` },
      })
      expect(created.statusCode, created.body).toBe(201)
      // Where the read is routed at this moment (it can only move to the replica before the GET).
      if ((await routeOf(client)) === 'replica') onReplica++
      const listed = await http.inject({ method: 'GET', url: `${BRIEFS}?limit=1`, headers: bearer(client) })
      expect(listed.statusCode, listed.body).toBe(200)
      expect(listed.json().total, `read ${i} after write ${i}`).toBe(i + 1)
      expect(listed.json().briefs[0].id).toBe(created.json().id)
    }
    console.log(`[scale] 200 write-then-read pairs: read on the replica ${onReplica} times (caught up), on the primary ${200 - onReplica}`)
  })

  it('with replay paused, the writer reads on the primary and sees the write; others read the stale replica', async () => {
    const writer = await aClient(platform)
    const writerClaims: Claims = { sub: writer.id, role: 'client', app: 'onedesigner' }
    const otherClaims: Claims = { sub: randomUUID(), role: 'client', app: 'onedesigner' }
    await sql`select pg_wal_replay_pause()`.execute(platform.db.reader)
    try {
      await waitFor(async () => {
        const r = await sql<{ state: string }>`select pg_get_wal_replay_pause_state() as state`.execute(platform.db.reader)
        return r.rows[0].state === 'paused'
      })
      const created = await http.inject({
        method: 'POST',
        url: BRIEFS,
        headers: bearer(writer),
        payload: { projectType: 'branding-logo', projectTitle: 'Written while the replica is paused' },
      })
      expect(created.statusCode, created.body).toBe(201)
      const id = created.json().id

      const listed = await http.inject({ method: 'GET', url: BRIEFS, headers: bearer(writer) })
      expect(listed.json().briefs.map((b: { id: string }) => b.id)).toContain(id)
      expect(await withUserRead(platform, writerClaims, async (tx) => (await whereAmI.execute(tx)).rows[0].recovering)).toBe(false)

      // Another user is not owed this write: their read stays on the replica, which lacks it.
      expect(await withUserRead(platform, otherClaims, async (tx) => (await whereAmI.execute(tx)).rows[0].recovering)).toBe(true)
      const onReplica = await sql<{ n: number }>`select count(*)::int as n from onedesigner.briefs where id = ${id}`.execute(
        platform.db.reader,
      )
      expect(onReplica.rows[0].n).toBe(0)
    } finally {
      await sql`select pg_wal_replay_resume()`.execute(platform.db.reader)
    }
    // Once the replica replays the write, the writer's reads return to it.
    await waitFor(async () => (await routeOf(writer)) === 'replica')
    expect(await withUserRead(platform, writerClaims, async (tx) => (await whereAmI.execute(tx)).rows[0].recovering)).toBe(true)
  })

  it('a read-only transaction marks no write; a rolled-back write marks none either', async () => {
    const client = await aClient(platform)
    const claims: Claims = { sub: client.id, role: 'client', app: 'onedesigner' }
    await sql`select pg_wal_replay_pause()`.execute(platform.db.reader)
    try {
      await withUser(platform.db.kysely, claims, (tx) => tx.selectFrom('onedesigner.briefs').select('id').execute())
      await expect(
        withUser(platform.db.kysely, claims, async (tx) => {
          await tx.insertInto('onedesigner.briefs').values({ clientId: client.id, projectType: 'branding-logo' }).execute()
          throw new Error('changed my mind')
        }),
      ).rejects.toThrow('changed my mind')
      expect(await routeOf(client)).toBe('replica')
    } finally {
      await sql`select pg_wal_replay_resume()`.execute(platform.db.reader)
    }
  })

  async function routeOf(user: TestUser) {
    return (await readRoutingOf(platform.db.kysely)!.readerFor(`onedesigner:${user.id}`)).target
  }
})

async function waitFor(pred: () => Promise<boolean>, ms = 20_000) {
  const deadline = Date.now() + ms
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
