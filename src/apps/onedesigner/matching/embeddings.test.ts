import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aBrief, aClient, aDesigner, bearer } from '../../../../test/support/onedesigner'
import { runJob, decodeFloat32, toFloat32 } from '../../../platform'
import { designerProfileText, refreshDesignerEmbedding, refreshStaleEmbeddings, type DesignerProfile } from './embeddings'
import { refreshEmbeddingsJob } from './jobs'

let env: TestEnv
beforeAll(async () => {
  env = await createTestEnv()
})
afterAll(() => env.close())

const embeddingOf = (designerId: string) =>
  env.platform.db.kysely.selectFrom('onedesigner.designerEmbeddings').selectAll().where('designerId', '=', designerId).executeTakeFirst()

describe('designer embeddings', () => {
  it('stores a designer embedding with its model, a float32 copy, and needs_update cleared', async () => {
    const d = await aDesigner(env.platform, { bio: 'Playful illustration for children books' })
    await refreshDesignerEmbedding(env.platform, d.id)
    const row = (await embeddingOf(d.id))!
    const ai = env.platform.ai
    expect(row.modelVersion).toBe(ai.embeddingModel)
    expect(row.needsUpdate).toBe(false)
    expect(row.embedding).toHaveLength(ai.dimensions)
    expect(Array.from(decodeFloat32(row.embeddingF32!))).toEqual(Array.from(toFloat32(row.embedding)))
    const profile = await env.platform.db.kysely
      .selectFrom('onedesigner.designers')
      .selectAll()
      .where('id', '=', d.id)
      .executeTakeFirstOrThrow()
    expect(row.embedding).toEqual((await ai.embed([designerProfileText(profile as unknown as DesignerProfile)])).vectors[0])
  })

  it('marks an embedding stale on a profile edit and the job refreshes it', async () => {
    const d = await aDesigner(env.platform, { bio: 'Logos' })
    await refreshDesignerEmbedding(env.platform, d.id)
    const before = (await embeddingOf(d.id))!
    await env.platform.db.kysely
      .updateTable('onedesigner.designers')
      .set({ bio: 'Packaging and labels for wine' })
      .where('id', '=', d.id)
      .execute()
    expect((await embeddingOf(d.id))!.needsUpdate).toBe(true)
    const summary = await runJob(env.platform, refreshEmbeddingsJob)
    expect(summary.refreshed).toBeGreaterThanOrEqual(1)
    const after = (await embeddingOf(d.id))!
    expect(after.needsUpdate).toBe(false)
    expect(after.embedding).not.toEqual(before.embedding)
    // Nothing left to do.
    expect(await refreshStaleEmbeddings(env.platform)).toBe(0)
  })

  it('embeds designers that have none, in batches', async () => {
    const made = await Promise.all([1, 2, 3].map((i) => aDesigner(env.platform, { bio: `Designer number ${i}` })))
    expect(await refreshStaleEmbeddings(env.platform, 10, 2)).toBe(3)
    for (const d of made) expect((await embeddingOf(d.id))!.needsUpdate).toBe(false)
  })

  it('scores the same whether a designer embedding was stored or computed on the fly', async () => {
    const client = await aClient(env.platform)
    const d = await aDesigner(env.platform, { categories: ['motion-graphics'], bio: 'Explainer videos and motion design' })
    const briefA = await aBrief(env.platform, client, { projectType: 'motion-graphics', description: 'An explainer video' })
    const fresh = (
      await env.http.inject({ method: 'POST', url: `/v1/onedesigner/briefs/${briefA.id}/matches`, headers: bearer(client) })
    ).json()
    await refreshDesignerEmbedding(env.platform, d.id)
    const briefB = await aBrief(env.platform, client, { projectType: 'motion-graphics', description: 'An explainer video' })
    const stored = (
      await env.http.inject({ method: 'POST', url: `/v1/onedesigner/briefs/${briefB.id}/matches`, headers: bearer(client) })
    ).json()
    expect(stored.matches[0].designerId).toBe(d.id)
    expect(stored.matches[0].score).toBe(fresh.matches[0].score)
    expect(stored.matches[0].reasons).toEqual(fresh.matches[0].reasons)
  })
})
