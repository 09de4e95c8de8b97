// Fixtures for the row-level security matrix (test/rls/): two "worlds", each with every registered
// app's part (its users of every role and a row of theirs in every table of its schema, from the
// app's testing provider) and the platform's part (rows of every user of every app in the platform
// tables), plus, per table, whose rows are whose. Written on the owner role, as seeding tools would.
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Platform } from '../../src/platform/platform'
import type { Actor, AppTesting, AppWorld, RowSet, TableSpec } from './app-testing'

export type { Actor, RowSet } from './app-testing'

export interface World {
  name: string
  /** Each app's part of the world, by app name. */
  apps: Map<string, AppWorld>
}

/** A row set with the app that described it: its readableBy/updatableBy roles are that app's. */
export type MatrixRowSet = RowSet & { app?: string }

export interface MatrixSpec {
  sets(w: World): MatrixRowSet[]
  byDesign: string[]
}

/** Every user of the world, of every app: each tries every other's rows. */
export const actorsOf = (w: World): Actor[] => [...w.apps.values()].flatMap((a) => a.actors)

/** The rows are readable (or updatable) by the actor by design: a role the describing app named. */
export const grantedTo = (roles: string[] | undefined, s: MatrixRowSet, actor: Actor) =>
  !!roles?.includes(actor.role) && (s.app === undefined || s.app === actor.app)

const tag = () => randomBytes(4).toString('hex')
const future = (p: Platform, days: number) => new Date(p.clock.now().getTime() + days * 86_400_000)

/** Platform tables every app's users have rows in; row sets per user of every app. */
function platformTables(p: Platform): Record<string, TableSpec<World>> {
  const perActor = (column: string, value: (u: Actor) => string, insert: (u: Actor) => Record<string, unknown>): TableSpec<World> => ({
    sets: (w) =>
      actorsOf(w).map((u) => ({
        label: `${u.app} ${u.role} ${u.email}`,
        where: sql`${sql.ref(column)} = ${value(u)}`,
        parties: [u],
        insert: insert(u),
        owner: { column, value: value(u) },
      })),
  })
  const logOf = (what: string, insert: (u: Actor) => Record<string, unknown>): TableSpec<World> => ({
    sets: (w) =>
      actorsOf(w).map((u) => ({
        label: `${what} of ${u.app} ${u.role} ${u.email}`,
        where: sql`user_id = ${u.id}`,
        parties: [],
        readableBy: ['admin'],
        app: u.app,
        insert: insert(u),
      })),
    byDesign: "an app's admins read its logs",
  })
  const archiveOf = (what: string, insert: (u: Actor) => Record<string, unknown>): TableSpec<World> => ({
    sets: (w) =>
      actorsOf(w).map((u) => ({
        label: `archive ${what} of ${u.app} ${u.role} ${u.email}`,
        where: sql`policy = ${`rls-${u.id}`}`,
        parties: [],
        readableBy: ['admin'],
        app: u.app,
        insert: insert(u),
      })),
    byDesign: "an app's admins read its archive",
  })
  return {
    'platform.audit_log': perActor(
      'actor_id',
      (u) => u.id,
      (u) => ({ app: u.app, actor_id: u.id, actor_role: u.role, action: 'x' }),
    ),
    'platform.idempotency_keys': {
      sets: (w) =>
        actorsOf(w).map((u) => ({
          label: `keys of ${u.email}`,
          where: sql`scope like ${`${u.app}:${u.id}:%`}`,
          parties: [u],
          insert: { scope: `${u.app}:${u.id}:POST /x`, key: tag(), request_hash: 'x', expires_at: future(p, 1) },
        })),
    },
    'platform.refresh_tokens': perActor(
      'user_id',
      (u) => u.id,
      (u) => ({ app: u.app, user_id: u.id, role: u.role, token_hash: tag(), expires_at: future(p, 1) }),
    ),
    // An ended session per user, keyed by the user's id as the session id: no token carries it.
    'platform.session_revocations': perActor(
      'subject',
      (u) => u.id,
      (u) => ({ app: u.app, kind: 'session', subject: u.id, revoked_before: p.clock.now(), expires_at: future(p, 1) }),
    ),
    // Logs about a user that the user does not read: only their app's admins do.
    'platform.access_log': logOf('access', (u) => ({
      at: p.clock.now(),
      app: u.app,
      method: 'GET',
      route: `/v1/${u.app}/me`,
      status: 200,
      duration_ms: 1,
      user_id: u.id,
    })),
    'platform.user_activity': logOf('activity', (u) => ({ at: p.clock.now(), app: u.app, user_id: u.id, action: 'sign_in' })),
    // Archive bookkeeping (retention): an app's admins read their app's batches and index.
    'platform.archive_batches': archiveOf('batch', (u) => ({
      policy: `rls-${u.id}`,
      app: u.app,
      source_table: `${u.app}.x`,
      archive_table: `${u.app}_archive.x`,
      row_count: 0,
    })),
    'platform.archive_index': archiveOf('index', (u) => ({
      batch_id: 0,
      policy: `rls-${u.id}`,
      app: u.app,
      source_table: `${u.app}.x`,
      row_key: JSON.stringify({ id: u.id }),
      archived_at: p.clock.now(),
    })),
    // Second-factor secrets and recovery codes: closed to every user, admins included.
    'platform.admin_second_factors': perActor(
      'user_id',
      (u) => u.id,
      (u) => ({ app: u.app, user_id: u.id, secret_sealed: tag() }),
    ),
    'platform.admin_recovery_codes': perActor(
      'user_id',
      (u) => u.id,
      (u) => ({ app: u.app, user_id: u.id, code_hash: tag() }),
    ),
    'platform.dev_mailbox': perActor(
      'to_address',
      (u) => u.email,
      (u) => ({ to_address: u.email, subject: 'x', text_body: 'x' }),
    ),
  }
}

async function platformRows(p: Platform, actors: Actor[]) {
  const db = p.db.kysely
  for (const u of actors) {
    await db.insertInto('platform.auditLog').values({ app: u.app, actorId: u.id, actorRole: u.role, action: 'test' }).execute()
    await db
      .insertInto('platform.refreshTokens')
      .values({ app: u.app, userId: u.id, role: u.role, tokenHash: tag(), expiresAt: future(p, 30) })
      .execute()
    await db
      .insertInto('platform.idempotencyKeys')
      .values({ scope: `${u.app}:${u.id}:POST /x`, key: tag(), requestHash: 'h', expiresAt: future(p, 1) })
      .execute()
    await db
      .insertInto('platform.sessionRevocations')
      .values({ app: u.app, kind: 'session', subject: u.id, revokedBefore: p.clock.now(), expiresAt: future(p, 1) })
      .onConflict((oc) => oc.doNothing())
      .execute()
    await db
      .insertInto('platform.adminSecondFactors')
      .values({ app: u.app, userId: u.id, secretSealed: tag() })
      .onConflict((oc) => oc.doNothing())
      .execute()
    await db.insertInto('platform.adminRecoveryCodes').values({ app: u.app, userId: u.id, codeHash: tag() }).execute()
    await db.insertInto('platform.devMailbox').values({ toAddress: u.email, subject: 'Your code', textBody: '123456' }).execute()
    await db
      .insertInto('platform.accessLog')
      .values({ at: p.clock.now(), app: u.app, method: 'GET', route: `/v1/${u.app}/me`, status: 200, durationMs: 1, userId: u.id })
      .execute()
    const batch = await db
      .insertInto('platform.archiveBatches')
      .values({ policy: `rls-${u.id}`, app: u.app, sourceTable: `${u.app}.x`, archiveTable: `${u.app}_archive.x`, rowCount: 1 })
      .returning('id')
      .executeTakeFirstOrThrow()
    await db
      .insertInto('platform.archiveIndex')
      .values({
        batchId: batch.id,
        policy: `rls-${u.id}`,
        app: u.app,
        sourceTable: `${u.app}.x`,
        rowKey: JSON.stringify({ id: u.id }),
        archivedAt: p.clock.now(),
      })
      .execute()
    await db.insertInto('platform.userActivity').values({ at: p.clock.now(), app: u.app, userId: u.id, action: 'sign_in' }).execute()
  }
}

/**
 * Every table of every registered app and of the platform schema, each app's row sets and the
 * platform's merged. A table missing here makes the matrix fail, naming it: a new table gets its
 * row-level security tested or the build goes red.
 */
export function tableSpecs(p: Platform, providers: AppTesting[]): Record<string, MatrixSpec> {
  const specs: Record<string, MatrixSpec> = {}
  const add = (table: string, spec: TableSpec<never>, part: (w: World) => unknown, app?: string) => {
    const prev = specs[table]
    const sets = (w: World): MatrixRowSet[] =>
      (spec as TableSpec<unknown>).sets(part(w)).map((s) => ({ ...s, app: app ?? (s as MatrixRowSet).app }))
    specs[table] = {
      sets: prev ? (w) => [...prev.sets(w), ...sets(w)] : sets,
      byDesign: [...(prev?.byDesign ?? []), ...(spec.byDesign ? [app ? `${app}: ${spec.byDesign}` : spec.byDesign] : [])],
    }
  }
  for (const [table, spec] of Object.entries(platformTables(p))) add(table, spec, (w) => w)
  for (const t of providers)
    for (const [table, spec] of Object.entries(t.rls.tables(p))) add(table, spec as TableSpec<never>, (w) => w.apps.get(t.name)!, t.name)
  return specs
}

/** Builds one world: every app's part, then every user's rows in the platform tables. */
export async function buildWorld(p: Platform, name: string, providers: AppTesting[]): Promise<World> {
  const apps = new Map<string, AppWorld>()
  for (const t of providers) {
    const part = await t.rls.world(p, name)
    const strangers = part.actors.filter((a) => a.app !== t.name)
    if (strangers.length) throw new Error(`${t.name}'s world has actors of another app: ${strangers.map((a) => a.email).join(', ')}`)
    apps.set(t.name, part)
  }
  const world = { name, apps }
  await platformRows(p, actorsOf(world))
  return world
}
