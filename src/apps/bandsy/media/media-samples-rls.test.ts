// Row-level security of media_samples and media_sample_genres, straight through withUser: what a
// musician cannot do to another's samples whatever the API layer might forget.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, genreId, type Musician } from '../../../../test/support/bandsy'
import { withUser, type Tx } from '../../../platform'

let env: TestEnv
let owner: Musician
let other: Musician
let rock: string
let privateId: string
let publicId: string

const as = <T>(m: Musician, fn: (tx: Tx) => Promise<T>) =>
  withUser(env.platform.db.kysely, { sub: m.id, role: 'musician', app: 'bandsy' }, fn)
const sample = (userId: string, isPublic: boolean) => ({
  userId,
  title: 'take',
  fileUrl: '/x',
  fileKey: `bandsy/samples/${userId}/x.wav`,
  fileType: 'audio',
  isPublic,
})

beforeAll(async () => {
  env = await createTestEnv()
  owner = await aMusician(env.platform)
  other = await aMusician(env.platform)
  rock = await genreId(env.platform, 'Rock')
  privateId = await as(
    owner,
    async (tx) => (await tx.insertInto('bandsy.mediaSamples').values(sample(owner.id, false)).returning('id').executeTakeFirstOrThrow()).id,
  )
  publicId = await as(
    owner,
    async (tx) => (await tx.insertInto('bandsy.mediaSamples').values(sample(owner.id, true)).returning('id').executeTakeFirstOrThrow()).id,
  )
  await as(owner, (tx) =>
    tx
      .insertInto('bandsy.mediaSampleGenres')
      .values([
        { mediaSampleId: privateId, genreId: rock },
        { mediaSampleId: publicId, genreId: rock },
      ])
      .execute(),
  )
})
afterAll(() => env?.close())

describe('media samples under row-level security', () => {
  it('cannot insert a sample as someone else', async () => {
    await expect(as(other, (tx) => tx.insertInto('bandsy.mediaSamples').values(sample(owner.id, true)).execute())).rejects.toThrow(
      /row-level security/,
    )
  })

  it("cannot update or delete another's sample, public or private", async () => {
    for (const id of [publicId, privateId]) {
      const updated = await as(other, (tx) =>
        tx.updateTable('bandsy.mediaSamples').set({ title: 'stolen' }).where('id', '=', id).executeTakeFirst(),
      )
      expect(updated.numUpdatedRows).toBe(0n)
      const deleted = await as(other, (tx) => tx.deleteFrom('bandsy.mediaSamples').where('id', '=', id).executeTakeFirst())
      expect(deleted.numDeletedRows).toBe(0n)
    }
    const titles = await env.platform.db.kysely.selectFrom('bandsy.mediaSamples').select('title').where('userId', '=', owner.id).execute()
    expect(titles.map((t) => t.title)).toEqual(['take', 'take'])
  })

  it('cannot change the owner of a sample (file_key and user_id are not updatable)', async () => {
    await expect(
      as(owner, (tx) => tx.updateTable('bandsy.mediaSamples').set({ fileKey: 'other/key' }).where('id', '=', publicId).execute()),
    ).rejects.toThrow(/permission denied/)
  })

  it("cannot read another's private sample or its genre tags; can read the public one", async () => {
    const seen = await as(other, (tx) => tx.selectFrom('bandsy.mediaSamples').select('id').where('userId', '=', owner.id).execute())
    expect(seen.map((s) => s.id)).toEqual([publicId])
    const tags = await as(other, (tx) => tx.selectFrom('bandsy.mediaSampleGenres').select('mediaSampleId').execute())
    expect(tags.map((t) => t.mediaSampleId)).toEqual([publicId])
    const mine = await as(owner, (tx) => tx.selectFrom('bandsy.mediaSampleGenres').select('mediaSampleId').execute())
    expect(mine).toHaveLength(2)
  })

  it("cannot tag or untag another's sample", async () => {
    const jazz = await genreId(env.platform, 'Jazz')
    await expect(
      as(other, (tx) => tx.insertInto('bandsy.mediaSampleGenres').values({ mediaSampleId: publicId, genreId: jazz }).execute()),
    ).rejects.toThrow(/row-level security/)
    const untagged = await as(other, (tx) =>
      tx.deleteFrom('bandsy.mediaSampleGenres').where('mediaSampleId', '=', publicId).executeTakeFirst(),
    )
    expect(untagged.numDeletedRows).toBe(0n)
  })

  it("a deleted musician's public samples are not readable by others", async () => {
    const gone = await aMusician(env.platform)
    await as(gone, (tx) => tx.insertInto('bandsy.mediaSamples').values(sample(gone.id, true)).execute())
    await sql`update bandsy.users set deleted_at = now() where id = ${gone.id}`.execute(env.platform.db.kysely)
    expect(await as(other, (tx) => tx.selectFrom('bandsy.mediaSamples').select('id').where('userId', '=', gone.id).execute())).toEqual([])
  })
})
