import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { defineApp } from '../app'
import { createAppContext } from './app-context'
import { errorSchema } from './server'

// A throwaway app whose routes write no security, no auth errors and no app prefix in their tags.
const probe = defineApp({
  name: 'probe',
  migrationsDir: '/nonexistent',
  routes({ http, guard }) {
    const client = guard(['client'])
    http.get('/mine', { preHandler: client, schema: { tags: ['things'], summary: 'no input' } }, async () => ({}))
    http.post(
      '/mine/:id',
      {
        preHandler: client,
        schema: {
          tags: ['things'],
          summary: 'input, and its own 403',
          params: z.object({ id: z.uuid() }),
          body: z.object({ name: z.string() }),
          response: { 200: z.object({ ok: z.boolean() }), 403: errorSchema.describe('Not your thing') },
        },
      },
      async () => ({ ok: true }),
    )
    http.get('/open', { schema: { tags: ['probe: things'], summary: 'no guard', response: { 200: z.object({}) } } }, async () => ({}))
  },
})

type Op = { tags?: string[]; security?: unknown; responses: Record<string, { description?: string }> }

describe('app route context', () => {
  let env: TestEnv
  let paths: Record<string, Record<string, Op>>
  beforeAll(async () => {
    env = await createTestEnv({ apps: [probe] })
    paths = (env.http.swagger() as unknown as { paths: typeof paths }).paths
  })
  afterAll(() => env.close())

  it('documents bearer security, 401 and 403 on guarded routes, and 400 where input can be refused', () => {
    const mine = paths['/v1/probe/mine'].get
    expect(mine.security).toEqual([{ bearer: [] }])
    // Query strings are strict under /v1 (an unknown parameter is a 400), so every route takes input.
    expect(Object.keys(mine.responses).sort()).toEqual(['400', '401', '403'])
    const post = paths['/v1/probe/mine/{id}'].post
    expect(post.security).toEqual([{ bearer: [] }])
    expect(Object.keys(post.responses).sort()).toEqual(['200', '400', '401', '403'])
    expect(post.responses['403'].description).toBe('Not your thing')
    const open = paths['/v1/probe/open'].get
    expect(open.security).toBeUndefined()
    expect(Object.keys(open.responses).sort()).toEqual(['200', '400']) // strict query string
  })

  it('tags every route <app>: <concept>, once', () => {
    expect(paths['/v1/probe/mine'].get.tags).toEqual(['probe: things'])
    expect(paths['/v1/probe/open'].get.tags).toEqual(['probe: things'])
  })

  it('answers a guarded route without a token 401 before validating its input', async () => {
    const res = await env.http.inject({ method: 'POST', url: '/v1/probe/mine/not-a-uuid', payload: { name: 1 } })
    expect(res.statusCode).toBe(401)
    expect(res.json().error.code).toBe('unauthorized')
  })

  it("runs asUser under row-level security as the caller, and refuses another app's claims", async () => {
    const ctx = createAppContext('probe', env.http, env.platform)
    const sub = '00000000-0000-4000-8000-000000000002'
    const who = await ctx.asUserRead({ sub, role: 'client', app: 'probe' }, async (tx) => {
      const { rows } = await sql<{ uid: string; usr: string }>`select platform.uid() as uid, current_user as usr`.execute(tx)
      return rows[0]
    })
    expect(who).toEqual({ uid: sub, usr: 'matchbase_user' })
    let ran = false
    await expect(ctx.asUser({ sub, role: 'client', app: 'bandsy' }, async () => (ran = true))).rejects.toMatchObject({ code: 'forbidden' })
    expect(ran).toBe(false)
  })
})
