// Sessions that really end (issue 10, items 3, 4, 5), seen from Bandsy's routes: after DELETE /me,
// logout or a detected refresh-token reuse, the old access token is refused everywhere at once,
// long before it expires; two tabs refreshing with one token at once both keep their session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { codeIn, freshIp, uniqueEmail, waitForMail } from '../../../../test/support/otp-mail'
import { aMatch, aMusician, BANDSY, type Musician } from '../../../../test/support/bandsy'
import { uploadSample } from '../../../../test/support/bandsy-media'

interface BandsySession {
  accessToken: string
  refreshToken: string
  user: { id: string; email: string }
}

async function signIn(env: TestEnv, email = uniqueEmail('session')): Promise<BandsySession> {
  const before = (await env.http.inject({ method: 'GET', url: `/v1/dev/mailbox?email=${encodeURIComponent(email)}` })).json().messages
    .length
  const sent = await env.http.inject({ method: 'POST', url: `${BANDSY}/auth/otp`, payload: { email }, remoteAddress: freshIp() })
  expect(sent.statusCode).toBe(202)
  const mail = await waitForMail(env, email, before + 1)
  const res = await env.http.inject({
    method: 'POST',
    url: `${BANDSY}/auth/otp/verify`,
    payload: { email, code: codeIn(mail[0].text) },
    remoteAddress: freshIp(),
  })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

const auth = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` })
const me = (env: TestEnv, accessToken: string) => env.http.inject({ method: 'GET', url: `${BANDSY}/me`, headers: auth(accessToken) })
const refresh = (env: TestEnv, refreshToken: string) =>
  env.http.inject({ method: 'POST', url: `${BANDSY}/auth/refresh`, payload: { refreshToken } })

function expectRefused(res: { statusCode: number; json(): unknown; body: string }, what: string) {
  expect(res.statusCode, `${what}: ${res.body}`).toBe(401)
  const { error } = res.json() as { error: { code: string; message: string } }
  expect(error.code, what).toBe('unauthorized')
  expect(error.message, what).toMatch(/ended/)
}

describe('Bandsy sessions end when they should', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it('a deleted account is refused on every route with its old, unexpired access token', async () => {
    const s = await signIn(env)
    const self: Musician = { id: s.user.id, username: '', email: s.user.email, token: s.accessToken }
    const { conversationId } = await aMatch(env.platform, self, await aMusician(env.platform))
    // Works before: the token is good and the match's conversation takes messages.
    const post = () =>
      env.http.inject({
        method: 'POST',
        url: `${BANDSY}/conversations/${conversationId}/messages`,
        headers: auth(s.accessToken),
        payload: { type: 'text', content: 'still here?' },
      })
    expect((await post()).statusCode).toBe(201)

    expect((await env.http.inject({ method: 'DELETE', url: `${BANDSY}/me`, headers: auth(s.accessToken) })).statusCode).toBe(204)

    expectRefused(await post(), 'post a conversation message')
    expectRefused(
      await env.http.inject({ method: 'POST', url: `${BANDSY}/groups`, headers: auth(s.accessToken), payload: { name: 'Ghosts' } }),
      'create a group',
    )
    expectRefused(
      await env.http.inject({
        method: 'POST',
        url: `${BANDSY}/subscriptions`,
        headers: { ...auth(s.accessToken), 'idempotency-key': 'after-delete' },
        payload: { plan: 'basic' },
      }),
      'buy a subscription',
    )
    expectRefused(await uploadSample(env.http, { token: s.accessToken }), 'upload a sample')
    expectRefused(await me(env, s.accessToken), 'read the profile')
    expectRefused(await env.http.inject({ method: 'GET', url: `${BANDSY}/stream?access_token=${s.accessToken}` }), 'open an event stream')
    // Nothing was charged or written after the deletion.
    const purchases = await env.platform.db.kysely
      .selectFrom('bandsy.subscriptionPurchases')
      .select('id')
      .where('userId', '=', s.user.id)
      .execute()
    expect(purchases).toEqual([])
  })

  it('logout refuses the old access token at once; another session of the same user goes on', async () => {
    const email = uniqueEmail('logout')
    const a = await signIn(env, email)
    const b = await signIn(env, email)
    expect((await me(env, a.accessToken)).statusCode).toBe(200) // verified and remembered by the token cache
    const out = await env.http.inject({ method: 'POST', url: `${BANDSY}/auth/logout`, payload: { refreshToken: a.refreshToken } })
    expect(out.statusCode).toBe(200)
    expectRefused(await me(env, a.accessToken), 'after logout')
    expect((await me(env, b.accessToken)).statusCode).toBe(200)
  })

  it('refresh-token reuse ends the session: every access token of it is refused', async () => {
    const s = await signIn(env)
    const r1 = (await refresh(env, s.refreshToken)).json()
    env.clock.advance(env.config.REFRESH_REUSE_GRACE_SECONDS * 1000 + 1)
    const replay = await refresh(env, s.refreshToken) // a stolen, already rotated token
    expect(replay.statusCode).toBe(401)
    expect(replay.json().error.message).toMatch(/already used/)
    expectRefused(await me(env, s.accessToken), 'first access token')
    expectRefused(await me(env, r1.accessToken), 'rotated access token')
    expect((await refresh(env, r1.refreshToken)).statusCode).toBe(401)
  })

  it('two tabs refreshing with one token at once both get a session that keeps working; after the window it is reuse', async () => {
    const s = await signIn(env)
    const [a, b] = await Promise.all([refresh(env, s.refreshToken), refresh(env, s.refreshToken)])
    expect([a.statusCode, b.statusCode]).toEqual([200, 200])
    const ta = a.json()
    const tb = b.json()
    expect(ta.refreshToken).not.toBe(tb.refreshToken)
    for (const t of [ta, tb]) expect((await me(env, t.accessToken)).statusCode).toBe(200)
    // Each tab refreshes on with its own token, and neither was revoked by the other.
    const [a2, b2] = await Promise.all([refresh(env, ta.refreshToken), refresh(env, tb.refreshToken)])
    expect([a2.statusCode, b2.statusCode]).toEqual([200, 200])
    expect((await me(env, a2.json().accessToken)).statusCode).toBe(200)

    env.clock.advance(env.config.REFRESH_REUSE_GRACE_SECONDS * 1000 + 1)
    expect((await refresh(env, s.refreshToken)).statusCode).toBe(401)
    expectRefused(await me(env, a2.json().accessToken), 'tab A after reuse')
    expectRefused(await me(env, b2.json().accessToken), 'tab B after reuse')
    expect((await refresh(env, b2.json().refreshToken)).statusCode).toBe(401)
  })
})
