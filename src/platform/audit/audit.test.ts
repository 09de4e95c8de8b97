import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { withUser } from '../db/with-user'

describe('audit log', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('records entries and refuses UPDATE, DELETE and TRUNCATE, even for the owner', async () => {
    const db = env.platform.db.kysely
    await env.platform.audit.record(db, {
      app: 'onedesigner',
      action: 'designer.approve',
      subjectType: 'designer',
      subjectId: 'd1',
      data: { by: 'test' },
    })
    const row = await db.selectFrom('platform.auditLog').selectAll().where('subjectId', '=', 'd1').executeTakeFirstOrThrow()
    expect(row.action).toBe('designer.approve')
    await expect(sql`update platform.audit_log set action = 'x'`.execute(db)).rejects.toThrow(/append-only/)
    await expect(sql`delete from platform.audit_log`.execute(db)).rejects.toThrow(/append-only/)
    await expect(sql`truncate platform.audit_log`.execute(db)).rejects.toThrow(/append-only/)
  })

  it('lets a user write entries only as themselves, and read none', async () => {
    const me = { sub: '00000000-0000-4000-8000-0000000000aa', role: 'client', app: 'onedesigner' }
    const db = env.platform.db.kysely
    await withUser(db, me, (tx) => env.platform.audit.record(tx, { app: 'onedesigner', actorId: me.sub, action: 'unlock' }))
    await expect(
      withUser(db, me, (tx) =>
        env.platform.audit.record(tx, { app: 'onedesigner', actorId: '00000000-0000-4000-8000-0000000000bb', action: 'forged' }),
      ),
    ).rejects.toThrow(/row-level security/)
    const seen = await withUser(db, me, (tx) => tx.selectFrom('platform.auditLog').selectAll().execute()).catch((e) => e)
    expect(seen instanceof Error ? seen.message : seen).toSatisfy((v: unknown) =>
      Array.isArray(v) ? v.length === 0 : /permission denied/.test(String(v)),
    )
  })
})
