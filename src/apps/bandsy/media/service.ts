// Media samples: a musician's audio and video takes, tagged with genres. The file lives in
// platform.storage under bandsy/samples/<userId>/<sampleId>.<ext>; the row keeps its key, so
// a sample and its file come and go together (seed: "File cleanup occurs when samples are deleted").
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import { sql } from 'kysely'
import { type Readable, Transform } from 'node:stream'
import { withUser, type Claims, type Tx, AppError, forbidden, notFound, type Platform } from '../../../platform'
import type { ProbedMedia } from './probe'
import * as repo from './repository'
import { missingIds } from '../lookup-ids'
import { assertRoomFor } from '../storage-quota'

export interface SampleInput {
  title: string
  description: string | null
  instrumentId: string | null
  isPublic: boolean
  genreIds: string[]
}

export type SampleChanges = repo.SamplePatch & { genreIds?: string[] }

export const sampleFileUrl = (id: string) => `/v1/bandsy/media-samples/${id}/file`

async function assertReferences(tx: Tx, instrumentId: string | null | undefined, genreIds: string[] | undefined) {
  if (instrumentId && (await missingIds(tx, 'bandsy.instruments', [instrumentId])).length)
    throw notFound('Instrument', { field: 'instrumentId', instrumentId })
  const missing = await missingIds(tx, 'bandsy.genres', genreIds ?? [])
  if (missing.length) throw new AppError('not_found', `Genre not found: ${missing.join(', ')}`, { field: 'genreIds', genreIds: missing })
}

/**
 * Stores the file, then the row. A row whose insert fails takes its file with it, so a failed
 * upload leaves nothing behind; a crash between the two can leave an unreferenced file.
 */
export async function createSample(
  platform: Platform,
  claims: Claims,
  input: SampleInput,
  file: { path: string; size: number },
  media: ProbedMedia,
) {
  // Before the file is stored; checked again with the row, so parallel uploads cannot both slip in.
  await withUser(platform.db.kysely, claims, (tx) => assertRoomFor(platform, tx, claims.sub, file.size))
  const id = randomUUID()
  const fileKey = `bandsy/samples/${claims.sub}/${id}.${media.ext}`
  await platform.storage.put(fileKey, fs.createReadStream(file.path), { contentType: media.contentType })
  try {
    return await withUser(platform.db.kysely, claims, async (tx) => {
      await assertReferences(tx, input.instrumentId, input.genreIds)
      await sql`select pg_advisory_xact_lock(hashtextextended(${`bandsy-storage:${claims.sub}`}, 0))`.execute(tx)
      await assertRoomFor(platform, tx, claims.sub, file.size)
      await repo.insertSample(tx, {
        id,
        userId: claims.sub,
        instrumentId: input.instrumentId,
        title: input.title,
        description: input.description,
        fileUrl: sampleFileUrl(id),
        fileKey,
        fileType: media.kind,
        duration: media.duration,
        metadata: media.metadata,
        isPublic: input.isPublic,
        createdAt: platform.clock.now(),
      })
      await repo.replaceGenres(tx, id, [...new Set(input.genreIds)])
      return (await repo.findSample(tx, id))!
    })
  } catch (err) {
    await platform.storage
      .delete(fileKey)
      .catch((e) => platform.log.error({ err: e, fileKey }, 'could not remove the file of a failed upload'))
    throw err
  }
}

export function getSample(platform: Platform, claims: Claims, id: string) {
  return withUser(platform.db.kysely, claims, async (tx) => {
    const sample = await repo.findSample(tx, id)
    if (!sample) throw notFound('Sample')
    return sample
  })
}

export async function listSamples(
  platform: Platform,
  claims: Claims,
  f: Omit<repo.SampleFilter, 'userId' | 'limit'> & { userId?: string; limit: number },
) {
  const samples = await withUser(platform.db.kysely, claims, (tx) =>
    repo.listSamples(tx, { ...f, userId: f.userId ?? claims.sub, limit: f.limit + 1 }),
  )
  const page = samples.slice(0, f.limit)
  return { samples: page, nextCursor: samples.length > f.limit ? page[page.length - 1]!.id : null }
}

/** 404 when the caller cannot see the sample, 403 when they can but it is not theirs. */
async function assertOwner(tx: Tx, claims: Claims, id: string) {
  if (await repo.ownsSample(tx, id, claims.sub)) return
  if (await repo.findSample(tx, id)) throw forbidden('Only the musician who uploaded a sample can change or delete it')
  throw notFound('Sample')
}

export function updateSample(platform: Platform, claims: Claims, id: string, changes: SampleChanges) {
  const { genreIds, ...patch } = changes
  return withUser(platform.db.kysely, claims, async (tx) => {
    await assertOwner(tx, claims, id)
    await assertReferences(tx, patch.instrumentId, genreIds)
    await repo.updateSample(tx, id, patch)
    if (genreIds) await repo.replaceGenres(tx, id, [...new Set(genreIds)])
    return (await repo.findSample(tx, id))!
  })
}

/**
 * Deletes the row and then the file in one transaction: when storage refuses, the row stays and
 * the caller can retry, so no file outlives its sample.
 */
export function deleteSample(platform: Platform, claims: Claims, id: string) {
  return withUser(platform.db.kysely, claims, async (tx) => {
    await assertOwner(tx, claims, id)
    const gone = await repo.deleteSample(tx, id)
    if (gone?.fileKey) await platform.storage.delete(gone.fileKey)
  })
}

export interface SampleFile {
  body: Readable
  contentType: string
  size: number
  /** Present for a partial answer (206). */
  range?: { start: number; end: number }
}

/** The file of a sample the caller can see; with a satisfiable single byte range, just that part. */
export async function openSampleFile(platform: Platform, claims: Claims, id: string, rangeHeader?: string): Promise<SampleFile> {
  const row = await withUser(platform.db.kysely, claims, (tx) => repo.fileOf(tx, id))
  if (!row) throw notFound('Sample')
  const stored = row.fileKey ? await platform.storage.get(row.fileKey) : undefined
  if (!stored) throw notFound('Sample file')
  const range = parseRange(rangeHeader, stored.size)
  if (!range) return stored
  const part = slice(range.start, range.end)
  stored.body.on('error', (err) => part.destroy(err))
  return { ...stored, body: stored.body.pipe(part), range }
}

/**
 * `bytes=a-b`, `bytes=a-` or `bytes=-n`; anything else (several ranges, past the end) is ignored
 * and the whole file sent, which RFC 9110 allows.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null
  if (!m || (m[1] === '' && m[2] === '') || size === 0) return undefined
  let start: number
  let end: number
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]))
    end = size - 1
  } else {
    start = Number(m[1])
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  }
  if (!Number.isSafeInteger(start) || start > end || start >= size) return undefined
  return { start, end }
}

/** Passes bytes start..end (inclusive) of a stream and drops the rest. */
function slice(start: number, end: number): Transform {
  let at = 0
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const from = Math.max(0, start - at)
      const to = Math.min(chunk.length, end + 1 - at)
      at += chunk.length
      done(null, from < to ? chunk.subarray(from, to) : undefined)
    },
  })
}
