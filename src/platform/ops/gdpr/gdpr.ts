// GDPR: one user's data, exported as JSON (files included, base64), or erased. Erasure deletes the
// user's rows and files, anonymizes what the law makes us keep (payment records: their rows and,
// while they exist, the user's row), leaves the append-only ledger and audit log (they hold ids,
// not personal data), and writes a receipt to the audit log: tables, counts, files; no personal data.
import pg from 'pg'
import { sql } from 'kysely'
import type { Platform } from '../../platform'
import type { AppModule } from '../../app'
import type { Executor } from '../../db/database'
import { policiesOf } from '../retention/policies'
import { primaryKey, qualified, quoteIdent, tableColumns } from '../retention/catalog'
import { countOf, fileKeysOf, findSubject, GdprError, identifiers, planFor, rowsOf, type Piece, type Subject } from './plan'

export { GdprError }

export interface ExportedFile {
  key: string
  contentType: string
  size: number
  base64: string
}

export interface UserExport {
  user: { app: string; table: string; id: string }
  exportedAt: string
  /** schema.table -> the user's rows, columns as in SQL. */
  tables: Record<string, Record<string, unknown>[]>
  files: ExportedFile[]
}

export interface ErasureStep {
  table: string
  action: 'delete' | 'anonymize' | 'keep'
  rows: number
  via: string
}

export interface ErasureReceipt {
  user: { app: string; table: string; id: string }
  dryRun: boolean
  steps: ErasureStep[]
  files: number
}

/** Tables whose rows are kept on erasure: those of keepOnErasure policies. */
function keptTables(apps: AppModule[]): Set<string> {
  return new Set(
    policiesOf(apps)
      .filter((p) => p.keepOnErasure)
      .map((p) => `${p.schema}.${p.tableName}`),
  )
}

async function subjectAndPlan(db: Executor, apps: AppModule[], userId: string, app?: string) {
  const names = app ? apps.filter((a) => a.name === app).map((a) => a.name) : apps.map((a) => a.name)
  if (app && !names.length) throw new GdprError(`Unknown app ${app} (enabled: ${apps.map((a) => a.name).join(', ')})`)
  const subject = await findSubject(db, names, userId)
  const pieces = await planFor(db, subject, keptTables(apps))
  return { subject, pieces }
}

const who = (s: Subject) => ({ app: s.app, table: `${s.schema}.${s.table}`, id: s.id })

export async function exportUser(platform: Platform, apps: AppModule[], userId: string, app?: string): Promise<UserExport> {
  const db = platform.db.kysely
  const { subject, pieces } = await subjectAndPlan(db, apps, userId, app)
  const tables: UserExport['tables'] = {}
  for (const p of pieces) {
    const rows = await rowsOf(db, p)
    if (rows.length) tables[`${p.schema}.${p.table}`] = rows
  }
  const files: ExportedFile[] = []
  for (const key of await fileKeysOf(db, pieces)) {
    const file = await platform.storage.get(key)
    if (!file) continue
    const chunks: Buffer[] = []
    for await (const c of file.body) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c))
    const body = Buffer.concat(chunks)
    files.push({ key, contentType: file.contentType, size: body.length, base64: body.toString('base64') })
  }
  return { user: who(subject), exportedAt: platform.clock.now().toISOString(), tables, files }
}

const TEXTLIKE = /char|text|json|citext/

/**
 * Blanks every text or JSON column of the selected rows that contains one of the strings; keys
 * and other columns are left. A required column gets a placeholder, unique per row.
 */
async function scrub(tx: Executor, p: Piece, strings: string[]): Promise<number> {
  if (!strings.length) return 0
  const cols = await tableColumns(tx, p.schema, p.table)
  const pk = new Set(await primaryKey(tx, p.schema, p.table))
  const patterns = `array[${strings.map((s) => pg.escapeLiteral(`%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)).join(', ')}]`
  const sets = cols
    .filter((c) => TEXTLIKE.test(c.type) && !pk.has(c.name) && !c.generated)
    .map((c) => {
      const blank = !c.notNull
        ? 'null'
        : c.type.endsWith('[]') || c.type.startsWith('json')
          ? `'{}'`
          : `'erased-' || substr(md5(random()::text), 1, 8)`
      const col = quoteIdent(c.name)
      return `${col} = case when ${col}::text ilike any(${patterns}) then ${blank} else ${col} end`
    })
  if (!sets.length) return 0
  const res =
    await sql`update ${sql.raw(qualified(p.schema, p.table))} t set ${sql.raw(sets.join(', '))} where ${sql.raw(p.where)}`.execute(tx)
  return Number(res.numAffectedRows ?? 0)
}

/** The user's row, kept for their payment records: the app's own anonymization, then a scrub. */
async function anonymizeSubject(tx: Executor, apps: AppModule[], subject: Subject, self: Piece, strings: string[]) {
  const policy = policiesOf(apps).find((p) => p.action === 'anonymize' && p.schema === subject.schema && p.tableName === subject.table)
  const cols = new Set((await tableColumns(tx, subject.schema, subject.table)).map((c) => c.name))
  const sets = Object.entries(policy?.set ?? {}).map(([c, expr]) => `${quoteIdent(c)} = ${expr}`)
  if (cols.has('deleted_at')) sets.push('deleted_at = coalesce(deleted_at, now())')
  if (sets.length)
    await sql`update ${sql.raw(qualified(subject.schema, subject.table))} t set ${sql.raw(sets.join(', '))} where ${sql.raw(self.where)}`.execute(
      tx,
    )
  await scrub(tx, self, strings)
}

export async function eraseUser(
  platform: Platform,
  apps: AppModule[],
  userId: string,
  opts: { app?: string; dryRun?: boolean } = {},
): Promise<ErasureReceipt> {
  const db = platform.db.kysely
  const { subject, pieces } = await subjectAndPlan(db, apps, userId, opts.app)
  const strings = identifiers(subject)
  const keys = await fileKeysOf(db, pieces)
  const self = pieces.find((p) => p.depth === 0)!
  const counts = new Map<Piece, number>()
  for (const p of pieces) counts.set(p, await countOf(db, p))
  const keepsUser = pieces.some((p) => p.kept && p.schema !== 'platform' && (counts.get(p) ?? 0) > 0)
  const plan = (p: Piece): ErasureStep['action'] =>
    p === self
      ? keepsUser
        ? 'anonymize'
        : 'delete'
      : p.kept
        ? p.schema === 'platform'
          ? 'keep'
          : 'anonymize'
        : p.linkOnly
          ? 'keep'
          : 'delete'
  const steps: ErasureStep[] = pieces.map((p) => ({
    table: `${p.schema}.${p.table}`,
    action: plan(p),
    rows: counts.get(p) ?? 0,
    via: p.via,
  }))
  const receipt: ErasureReceipt = { user: who(subject), dryRun: !!opts.dryRun, steps: steps.filter((s) => s.rows > 0), files: keys.length }
  if (opts.dryRun) return receipt

  await db.transaction().execute(async (tx) => {
    // Deepest first, so a row goes before the rows it references.
    for (const p of [...pieces].sort((a, b) => b.depth - a.depth)) {
      if (p === self) continue
      const action = plan(p)
      if (action === 'delete') await sql`delete from ${sql.raw(qualified(p.schema, p.table))} t where ${sql.raw(p.where)}`.execute(tx)
      if (action === 'anonymize') await scrub(tx, p, strings)
    }
    if (keepsUser) await anonymizeSubject(tx, apps, subject, self, strings)
    else await sql`delete from ${sql.raw(qualified(subject.schema, subject.table))} t where ${sql.raw(self.where)}`.execute(tx)
    await platform.audit.record(tx, {
      app: subject.app,
      action: 'gdpr.erase',
      subjectType: subject.table,
      subjectId: subject.id,
      data: { steps: receipt.steps, files: receipt.files },
    })
  })
  // After the commit: a file is never gone while a row still points at it.
  for (const key of keys) await platform.storage.delete(key)
  platform.logs.activity({ at: platform.clock.now(), app: subject.app, userId: subject.id, action: 'account_delete', requestId: null })
  return receipt
}
