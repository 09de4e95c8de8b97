// Archived records for an app's admins: the batches a policy archived and the rows in them, read
// under row-level security (the archive tables and their index admit only this app's admins).
import { z } from 'zod'
import { sql } from 'kysely'
import type { AppContext } from '../../http/app-context'
import { errorSchema } from '../../http/server'
import { notFound } from '../../http/errors'
import { primaryKey, qualified, quoteIdent } from './catalog'

const tags = ['archive']

const batchSchema = z.object({
  id: z.number(),
  policy: z.string(),
  sourceTable: z.string(),
  archiveTable: z.string(),
  archivedAt: z.date(),
  rowCount: z.number(),
  exportKey: z.string().nullable(),
  exportedAt: z.date().nullable(),
  restoredAt: z.date().nullable(),
})

const page = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
}

export async function archiveAdminRoutes({ http, guard, asUser, app, platform }: AppContext) {
  const adminOnly = guard(['admin'])
  const columns = [
    'id',
    'policy',
    'sourceTable',
    'archiveTable',
    'archivedAt',
    'rowCount',
    'exportKey',
    'exportedAt',
    'restoredAt',
  ] as const

  http.get(
    '/admin/archive/batches',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Archive batches of this app, newest first',
        description: 'What the retention policies moved out of the live tables; `table` narrows to one source table (e.g. matches).',
        querystring: z.object({ table: z.string().max(63).optional(), ...page }),
        response: { 200: z.object({ batches: z.array(batchSchema), limit: z.number(), offset: z.number() }) },
      },
    },
    async (req) => {
      const { table, limit, offset } = req.query
      const batches = await asUser(req.claims, async (tx) => {
        let q = tx.selectFrom('platform.archiveBatches').select(columns).where('app', '=', app)
        if (table) q = q.where('sourceTable', '=', `${app}.${table}`)
        return q.orderBy('id', 'desc').limit(limit).offset(offset).execute()
      })
      return { batches, limit, offset }
    },
  )

  http.get(
    '/admin/archive/batches/:batch',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'One archive batch with its archived rows',
        description: 'Rows as they were when archived (columns camelCased). Reading them is recorded in the audit log.',
        params: z.object({ batch: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
        querystring: z.object(page),
        response: {
          200: z.object({ batch: batchSchema, rows: z.array(z.record(z.string(), z.unknown())), limit: z.number(), offset: z.number() }),
          404: errorSchema,
        },
      },
    },
    async (req) => {
      const { limit, offset } = req.query
      return asUser(req.claims, async (tx) => {
        const batch = await tx
          .selectFrom('platform.archiveBatches')
          .select(columns)
          .where('app', '=', app)
          .where('id', '=', req.params.batch)
          .executeTakeFirst()
        if (!batch) throw notFound('Archive batch')
        const [schema, table] = batch.archiveTable.split('.', 2)
        const pk = await primaryKey(tx, schema, table)
        const key = `jsonb_build_object(${pk.map((c) => `'${c}', a.${quoteIdent(c)}`).join(', ')})`
        const { rows } = await sql<{ row: Record<string, unknown> }>`
          select to_jsonb(a) as row from ${sql.raw(qualified(schema, table))} a
          join platform.archive_index i on i.batch_id = ${batch.id} and i.row_key = ${sql.raw(key)}
          order by i.row_key limit ${limit} offset ${offset}`.execute(tx)
        await platform.audit.record(tx, {
          app,
          actorId: req.claims.sub,
          actorRole: req.claims.role,
          action: 'archive.read',
          subjectType: 'archive_batch',
          subjectId: String(batch.id),
          data: { rows: rows.length, offset },
          requestId: req.id,
        })
        return { batch, rows: rows.map((r) => r.row), limit, offset }
      })
    },
  )
}
