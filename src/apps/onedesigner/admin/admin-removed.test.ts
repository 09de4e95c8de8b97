// An admin whose role is taken away (issue 10, item 4): OneDesigner has no route that removes an
// admin, so an operator deletes the row and ends the person's sessions, through the platform or
// straight in SQL. Either way the old admin token stops working within seconds, on every route
// and on an open event stream, although it has most of an hour left.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { signIn, uniqueEmail } from '../../../../test/support/onedesigner-accounts'
import { openEventStream, eventsNamed } from '../../../../test/support/event-stream'
import { createSessions } from '../../../platform'
import { stepUpOverHttp } from '../../../../test/support/second-factor'

const BASE = '/v1/onedesigner'

describe('an admin whose role is removed', () => {
  let env: TestEnv
  let base: string
  beforeAll(async () => {
    env = await createTestEnv({ config: { SESSION_REVOCATION_RELOAD_SECONDS: '1' } })
    base = await env.http.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => env.close())

  async function anAdminSignedIn() {
    const email = uniqueEmail('admin')
    await env.platform.db.kysely.insertInto('onedesigner.admins').values({ email, name: 'Ada Admin' }).execute()
    const session = await signIn(env, email, 'admin')
    // Admin routes need the step-up token; it belongs to the same session (sid), so ending the session ends it.
    return { ...session, accessToken: await stepUpOverHttp(env.platform, env.http, BASE, session.accessToken) }
  }
  const listDesigners = (token: string) =>
    env.http.inject({ method: 'GET', url: `${BASE}/admin/designers?status=pending`, headers: { authorization: `Bearer ${token}` } })
  const removeAdmin = (id: string) => env.platform.db.kysely.deleteFrom('onedesigner.admins').where('id', '=', id).execute()

  it('is refused at once when the platform ends their sessions, and their open stream closes', async () => {
    const s = await anAdminSignedIn()
    expect((await listDesigners(s.accessToken)).statusCode).toBe(200)
    const stream = await openEventStream(`${base}${BASE}/stream?access_token=${s.accessToken}`)
    await stream.until((t) => t.includes(': connected'))

    await env.platform.db.kysely.transaction().execute(async (tx) => {
      await tx.deleteFrom('onedesigner.admins').where('id', '=', s.user.id).execute()
      await createSessions(env.platform, 'onedesigner').endAllForUser(tx, s.user.id)
    })

    const refused = await listDesigners(s.accessToken)
    expect(refused.statusCode).toBe(401)
    expect(refused.json().error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/ended/) })
    await expect(stream.until(() => false, 3_000)).rejects.toThrow(/ended/)
    expect(eventsNamed(stream.text(), 'session.ended')).toEqual([{ reason: 'revoked' }])
    const refresh = await env.http.inject({ method: 'POST', url: `${BASE}/auth/refresh`, payload: { refreshToken: s.refreshToken } })
    expect(refresh.statusCode).toBe(401)
  })

  it('is refused within seconds when an operator ends them in SQL (the reload picks the row up)', async () => {
    const s = await anAdminSignedIn()
    expect((await listDesigners(s.accessToken)).statusCode).toBe(200)
    await removeAdmin(s.user.id)
    // What docs/security.md tells an operator to run after removing an admin by hand.
    await env.platform.db.kysely
      .insertInto('platform.sessionRevocations')
      .values({
        app: 'onedesigner',
        kind: 'user',
        subject: s.user.id,
        revokedBefore: env.clock.now(),
        expiresAt: new Date(env.clock.now().getTime() + 2 * 3_600_000),
      })
      .execute()
    await expect.poll(async () => (await listDesigners(s.accessToken)).statusCode, { timeout: 5_000 }).toBe(401)
  })
})
