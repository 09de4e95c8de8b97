import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { aClient } from '../../../test/support/onedesigner'
import { readRoutingOf } from './read-routing'
import { withUser, withUserRead, type Claims } from './with-user'

// The replica path itself is proven in test/scale/replica.test.ts (server, own clusters).
describe('withUserRead without DATABASE_READ_URL', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('sets up no routing: withUser and withUserRead both run on the primary', () => {
    expect(env.platform.db.reader).toBe(env.platform.db.kysely)
    expect(readRoutingOf(env.platform.db.kysely)).toBeUndefined()
  })

  it('reads under the user’s row-level security and sees the user’s write at once', async () => {
    const client = await aClient(env.platform)
    const claims: Claims = { sub: client.id, role: 'client', app: 'onedesigner' }
    await withUser(env.platform.db.kysely, claims, (tx) =>
      tx.insertInto('onedesigner.briefs').values({ clientId: client.id, projectType: 'branding-logo' }).execute(),
    )
    const seen = await withUserRead(env.platform, claims, async (tx) => ({
      user: (await sql<{ u: string }>`select current_user as u`.execute(tx)).rows[0].u,
      briefs: (await tx.selectFrom('onedesigner.briefs').select('id').execute()).length,
    }))
    expect(seen).toEqual({ user: 'matchbase_user', briefs: 1 })
  })

  it('hides other users’ rows on the read path too', async () => {
    const other = await aClient(env.platform)
    const claims: Claims = { sub: other.id, role: 'client', app: 'onedesigner' }
    expect(await withUserRead(env.platform, claims, (tx) => tx.selectFrom('onedesigner.briefs').select('id').execute())).toEqual([])
  })
})
