// SQL for media samples and their genre tags. Every function takes the caller's transaction:
// under withUser, row-level security decides what is visible (public samples of users not deleted,
// and one's own) and what is writable (only one's own).
import { sql } from 'kysely'
import type { Tx } from '../../../platform'
import type { MediaFormat } from './probe'

export type SampleRow = NonNullable<Awaited<ReturnType<typeof findSample>>>

export interface NewSample {
  id: string
  userId: string
  instrumentId: string | null
  title: string
  description: string | null
  fileUrl: string
  fileKey: string
  fileType: 'audio' | 'video'
  duration: number | null
  metadata: MediaFormat
  isPublic: boolean
  createdAt: Date
}

export type SamplePatch = Partial<{ title: string; description: string | null; instrumentId: string | null; isPublic: boolean }>

export interface SampleFilter {
  userId: string
  genreId?: string
  instrumentId?: string
  limit: number
  cursor?: string
}

const withGenres = (tx: Tx) =>
  tx
    .selectFrom('bandsy.mediaSamples as s')
    .select([
      's.id',
      's.userId',
      's.instrumentId',
      's.title',
      's.description',
      's.fileUrl',
      's.fileType',
      's.duration',
      // What probe.ts extracted, which the generated Json type cannot name.
      (eb) => eb.ref('s.metadata').$castTo<MediaFormat | null>().as('metadata'),
      's.isPublic',
      's.createdAt',
      sql<{ id: string; name: string }[]>`coalesce((
        select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
          from bandsy.media_sample_genres sg join bandsy.genres g on g.id = sg.genre_id
         where sg.media_sample_id = s.id), '[]'::json)`.as('genres'),
    ])
    // file_type is text under a check constraint, which the generated types cannot name.
    .$narrowType<{ fileType: 'audio' | 'video' }>()

export async function insertSample(tx: Tx, s: NewSample): Promise<void> {
  await tx
    .insertInto('bandsy.mediaSamples')
    .values({ ...s, metadata: JSON.stringify(s.metadata) })
    .execute()
}

export async function replaceGenres(tx: Tx, sampleId: string, genreIds: string[]): Promise<void> {
  await tx.deleteFrom('bandsy.mediaSampleGenres').where('mediaSampleId', '=', sampleId).execute()
  if (genreIds.length)
    await tx
      .insertInto('bandsy.mediaSampleGenres')
      .values(genreIds.map((genreId) => ({ mediaSampleId: sampleId, genreId })))
      .execute()
}

export async function findSample(tx: Tx, id: string) {
  return withGenres(tx).where('s.id', '=', id).executeTakeFirst()
}

export async function fileOf(tx: Tx, id: string): Promise<{ fileKey: string | null } | undefined> {
  return tx.selectFrom('bandsy.mediaSamples').select('fileKey').where('id', '=', id).executeTakeFirst()
}

/** Newest first; the cursor is the id of the last sample of the previous page. */
export async function listSamples(tx: Tx, f: SampleFilter): Promise<SampleRow[]> {
  let q = withGenres(tx).where('s.userId', '=', f.userId)
  if (f.instrumentId) q = q.where('s.instrumentId', '=', f.instrumentId)
  if (f.genreId)
    q = q.where(
      sql<boolean>`exists (select 1 from bandsy.media_sample_genres sg where sg.media_sample_id = s.id and sg.genre_id = ${f.genreId})`,
    )
  if (f.cursor)
    q = q.where(sql<boolean>`(s.created_at, s.id) < (select c.created_at, c.id from bandsy.media_samples c where c.id = ${f.cursor})`)
  return q.orderBy('s.createdAt', 'desc').orderBy('s.id', 'desc').limit(f.limit).execute()
}

/** Whether the caller may change this sample: it is theirs (RLS would hide the write otherwise). */
export async function ownsSample(tx: Tx, id: string, userId: string): Promise<boolean> {
  return !!(await tx.selectFrom('bandsy.mediaSamples').select('id').where('id', '=', id).where('userId', '=', userId).executeTakeFirst())
}

export async function updateSample(tx: Tx, id: string, patch: SamplePatch): Promise<void> {
  if (Object.keys(patch).length) await tx.updateTable('bandsy.mediaSamples').set(patch).where('id', '=', id).execute()
}

/** Deletes one's own sample; the file key it had, or undefined when no row of the caller's has this id. */
export async function deleteSample(tx: Tx, id: string): Promise<{ fileKey: string | null } | undefined> {
  return tx.deleteFrom('bandsy.mediaSamples').where('id', '=', id).returning('fileKey').executeTakeFirst()
}
