import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { DEMO_MUSICIAN, isSeeded, seed } from './seed'

describe('Bandsy demo data', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('loads musicians with complete profiles, a band and likes for the demo musician, once', async () => {
    expect(await isSeeded(env.platform)).toBe(false)
    const lines = await seed(env.platform, { size: 25 })
    expect(lines.join('\n')).toMatch(DEMO_MUSICIAN)
    expect(await isSeeded(env.platform)).toBe(true)
    const db = env.platform.db.kysely
    const complete = await db
      .selectFrom('bandsy.userMatchProfiles')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('profileComplete', '=', true)
      .executeTakeFirstOrThrow()
    expect(complete.n).toBe(26)
    const demo = await db.selectFrom('bandsy.users').select('id').where('email', '=', DEMO_MUSICIAN).executeTakeFirstOrThrow()
    const likes = await db.selectFrom('bandsy.userInteractions').select('id').where('toUserId', '=', demo.id).execute()
    expect(likes.length).toBe(5)
    const band = await db
      .selectFrom('bandsy.groupMembers')
      .select(['role'])
      .innerJoin('bandsy.groups as g', 'g.id', 'bandsy.groupMembers.groupId')
      .where('g.name', '=', 'The Demo Tapes')
      .execute()
    expect(band.map((m) => m.role).sort()).toEqual(['admin', 'member'])
  })
})
