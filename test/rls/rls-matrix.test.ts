// The row-level security matrix: for every table of every app schema and of the platform schema,
// every user of every role tries to SELECT, INSERT, UPDATE and DELETE every other user's rows,
// and to hand a row of their own over to another user, through withUser (the database role and
// claims the API uses). Each attempt must be refused (42501: no privilege, or a row-level
// security violation) or see/touch nothing. The only reads and writes allowed are the ones the
// design grants (public approved profiles, admins' moderation), listed by each app's testing
// provider (test/support/apps/<app>.ts) with their reasons; those are checked to be exactly that
// (all of the rows, not more). Every registered app is covered through its provider.
//
// Tables come from the catalog, so a new table is covered the day it is added, or fails here for
// lack of a fixture. Each attempt runs in its own transaction and is rolled back.
// On a server the suite connects as the least-privilege API login role (owns nothing, no
// BYPASSRLS); test/rls/least-privilege.test.ts proves what that role and the reporting role cannot do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql, type RawBuilder } from 'kysely'
import { withUser, type Claims } from '../../src/platform/db/with-user'
import type { Tx } from '../../src/platform/db/database'
import { createTestEnv, type TestEnv } from '../support/test-env'
import {
  actorsOf,
  buildWorld,
  grantedTo,
  tableSpecs,
  type Actor,
  type MatrixRowSet,
  type MatrixSpec,
  type World,
} from '../support/rls-world'
import { testingOf } from '../support/app-registry'

type Op = 'select' | 'insert' | 'update' | 'delete' | 'hand-over'
type Outcome = { refused: true; message: string } | { refused: false; rows: number }

class Rollback {
  constructor(readonly rows: number) {}
}

const claimsOf = (u: Actor): Claims => ({ sub: u.id, role: u.role, app: u.app })

/** Runs op as the user, always rolls back, and reports the rows it saw or touched or that it was refused. */
async function attempt(env: TestEnv, u: Actor, op: (tx: Tx) => Promise<number>): Promise<Outcome> {
  try {
    await withUser(env.platform.db.kysely, claimsOf(u), async (tx) => {
      throw new Rollback(await op(tx))
    })
    throw new Error('unreachable')
  } catch (err) {
    if (err instanceof Rollback) return { refused: false, rows: err.rows }
    const e = err as { code?: string; message?: string }
    if (e.code === '42501') return { refused: true, message: String(e.message) }
    throw Object.assign(new Error(`unexpected error ${e.code}: ${e.message}`), { cause: err })
  }
}

const affected = async (tx: Tx, q: RawBuilder<unknown>) => Number((await q.execute(tx)).numAffectedRows ?? 0)

function insertSql(table: string, values: Record<string, unknown>) {
  const cols = Object.keys(values)
  return sql`insert into ${sql.table(table)} (${sql.join(cols.map((c) => sql.ref(c)))})
             values (${sql.join(cols.map((c) => values[c]))})`
}

async function appTables(env: TestEnv): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select n.nspname || '.' || c.relname as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'public', 'pgboss')
      and n.nspname not like 'pg\\_%' and c.relname <> 'schema_migrations'
      -- Partitions (monthly logs) are reached through their parent only: no grant on them.
      and not c.relispartition
    order by 1`.execute(env.platform.db.kysely)
  return rows.map((r) => r.name)
}

/** A column the user role may UPDATE (so the attempt reaches row-level security), else any column. */
async function updateColumns(env: TestEnv): Promise<Map<string, string>> {
  const { rows } = await sql<{ name: string; column: string }>`
    select distinct on (n.nspname, c.relname) n.nspname || '.' || c.relname as name, a.attname as column
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      and a.attidentity = '' and a.attgenerated = ''
    where c.relkind in ('r', 'p')
    order by n.nspname, c.relname, has_column_privilege('matchbase_user', c.oid, a.attnum, 'UPDATE') desc, a.attnum`.execute(
    env.platform.db.kysely,
  )
  return new Map(rows.map((r) => [r.name, r.column]))
}

describe('row-level security matrix', () => {
  let env: TestEnv
  let worlds: World[]
  let specs: Record<string, MatrixSpec>
  let tables: string[]

  beforeAll(async () => {
    // On a server, as the API login role (`matchbase roles setup`): what production connects as.
    env = await createTestEnv({ role: 'api' })
    const providers = await testingOf()
    worlds = [await buildWorld(env.platform, 'one', providers), await buildWorld(env.platform, 'two', providers)]
    specs = tableSpecs(env.platform, providers)
    tables = await appTables(env)
  })
  afterAll(() => env.close())

  it('has a fixture for every table, with rows in it', async () => {
    const missing = tables.filter((t) => !specs[t])
    expect(
      missing,
      `tables without a row-level security fixture in any app's test/support/apps/<app>.ts (or test/support/rls-world.ts for platform tables): ${missing.join(', ')}`,
    ).toEqual([])
    const stale = Object.keys(specs).filter((t) => !tables.includes(t))
    expect(stale, 'fixtures for tables that no longer exist').toEqual([])
    const empty: string[] = []
    for (const t of tables)
      for (const w of worlds)
        for (const s of specs[t].sets(w)) {
          const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(t)} where ${s.where}`.execute(
            env.platform.db.kysely,
          )
          if (rows[0].n === 0) empty.push(`${t}: ${s.label}`)
        }
    expect(empty, 'row sets the fixtures did not fill').toEqual([])
  })

  // The control group: the same path lets the owners read their rows, so the refusals below are
  // row-level security at work, not claims that failed to arrive.
  it('lets every party read its own rows wherever the user role may read the table', async () => {
    const db = env.platform.db.kysely
    let controls = 0
    const blind: string[] = []
    for (const table of tables) {
      const { rows: priv } = await sql<{ ok: boolean }>`select has_table_privilege('matchbase_user', ${table}, 'SELECT') as ok`.execute(db)
      if (!priv[0].ok) continue
      for (const s of worlds.flatMap((w) => specs[table].sets(w))) {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where ${s.where}`.execute(db)
        for (const party of s.parties) {
          controls++
          const seen = await attempt(
            env,
            party,
            async (tx) =>
              (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where ${s.where}`.execute(tx)).rows[0].n,
          )
          if (seen.refused || seen.rows !== rows[0].n)
            blind.push(`${table} [${s.label}] as ${party.role}: ${seen.refused ? 'refused' : seen.rows} of ${rows[0].n}`)
        }
      }
    }
    console.log(`RLS matrix controls: ${controls} owners read their own rows, ${blind.length} could not`)
    expect(blind).toEqual([])
    expect(controls).toBeGreaterThan(30)
  })

  it('refuses every user every other user’s rows, in every table', async () => {
    const db = env.platform.db.kysely
    const setCol = await updateColumns(env)
    const actors = worlds.flatMap(actorsOf)
    const failures: string[] = []
    const counts = { cases: 0, refused: 0, empty: 0, allowedByDesign: 0 }
    const perOp: Record<Op, number> = { select: 0, insert: 0, update: 0, delete: 0, 'hand-over': 0 }
    const allowed = new Map<string, number>()

    const check = (label: string, op: Op, outcome: Outcome, expectRows = 0) => {
      counts.cases++
      perOp[op]++
      if (expectRows > 0) {
        if (outcome.refused || outcome.rows !== expectRows)
          failures.push(`${label}: allowed by design, expected ${expectRows} row(s), got ${outcome.refused ? 'refused' : outcome.rows}`)
        else {
          counts.allowedByDesign++
          allowed.set(label.split(' ')[0], (allowed.get(label.split(' ')[0]) ?? 0) + 1)
        }
        return
      }
      if (outcome.refused) counts.refused++
      else if (outcome.rows === 0) counts.empty++
      else failures.push(`${label}: ${op} reached ${outcome.rows} row(s) of another user`)
    }

    for (const table of tables) {
      const spec = specs[table]
      const sets: MatrixRowSet[] = worlds.flatMap((w) => spec.sets(w))
      const col = sql.ref(setCol.get(table)!)
      for (const s of sets) {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where ${s.where}`.execute(db)
        const total = rows[0].n
        for (const actor of actors) {
          if (s.parties.some((p) => p.id === actor.id)) continue
          const label = `${table} [${s.label}] as ${actor.app} ${actor.role} ${actor.email}`
          const t = sql.table(table)
          check(
            label,
            'select',
            await attempt(
              env,
              actor,
              async (tx) => (await sql<{ n: number }>`select count(*)::int as n from ${t} where ${s.where}`.execute(tx)).rows[0].n,
            ),
            grantedTo(s.readableBy, s, actor) ? total : 0,
          )
          check(
            label,
            'update',
            await attempt(env, actor, (tx) => affected(tx, sql`update ${t} set ${col} = ${col} where ${s.where}`)),
            grantedTo(s.updatableBy, s, actor) ? total : 0,
          )
          check(label, 'delete', await attempt(env, actor, (tx) => affected(tx, sql`delete from ${t} where ${s.where}`)))
          check(label, 'insert', await attempt(env, actor, (tx) => affected(tx, insertSql(table, s.insert))))
        }
      }
      // Hand-over: a user moves a row of their own to another user (the row would then be theirs).
      for (const own of sets.filter((s) => s.owner && s.parties.length)) {
        for (const actor of own.parties) {
          const victim = sets.find((v) => v.owner && v.owner.column === own.owner!.column && !v.parties.some((p) => p.id === actor.id))
          if (!victim) continue
          const label = `${table} [${own.label}] as ${actor.role} ${actor.email} -> [${victim.label}]`
          check(
            label,
            'hand-over',
            await attempt(env, actor, (tx) =>
              affected(tx, sql`update ${sql.table(table)} set ${sql.ref(own.owner!.column)} = ${victim.owner!.value} where ${own.where}`),
            ),
          )
        }
      }
    }

    console.log(
      `RLS matrix: ${counts.cases} cases over ${tables.length} tables and ${actors.length} users of ${[...worlds[0]!.apps.keys()].join(', ')} ` +
        `(${Object.entries(perOp)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}): ` +
        `${counts.refused} refused (42501), ${counts.empty} saw/changed nothing, ${counts.allowedByDesign} allowed by design ` +
        `(${[...allowed].map(([k, v]) => `${k} ${v}`).join(', ')}), ${failures.length} failures`,
    )
    expect(failures).toEqual([])
    expect(counts.cases).toBeGreaterThan(1000)
    // Over 12,000 attempts, each its own transaction: minutes on PGlite with a busy machine.
  }, 600_000)
})
