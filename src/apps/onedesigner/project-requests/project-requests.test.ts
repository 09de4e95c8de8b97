import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HOUR, withUser } from '../../../platform'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aBrief, aClient, aDesigner, aMatch, bearer, type TestUser } from '../../../../test/support/onedesigner'

const MINUTE = 60_000

describe('OneDesigner project requests', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  const db = () => env.platform.db.kysely
  const BASE = '/v1/onedesigner/project-requests'
  const send = (user: TestUser | undefined, payload: unknown) =>
    env.http.inject({ method: 'POST', url: BASE, headers: user ? bearer(user) : {}, payload: payload as object })
  const read = (user: TestUser, id: string) => env.http.inject({ method: 'GET', url: `${BASE}/${id}`, headers: bearer(user) })
  const list = (user: TestUser, query = '') => env.http.inject({ method: 'GET', url: `${BASE}${query}`, headers: bearer(user) })
  const answer = (user: TestUser, id: string, decision: 'accept' | 'decline', payload?: unknown) =>
    env.http.inject({ method: 'POST', url: `${BASE}/${id}/${decision}`, headers: bearer(user), payload: payload as object })
  const notificationsOf = (user: TestUser, type?: string) => {
    let q = db().selectFrom('onedesigner.notifications').selectAll().where('userId', '=', user.id)
    if (type) q = q.where('type', '=', type)
    return q.orderBy('createdAt').execute()
  }
  const statusOf = async (id: string) =>
    (await db().selectFrom('onedesigner.projectRequests').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status

  /** A client who matched with and unlocked a designer (through the API). */
  async function unlockedPair(briefTitle = 'New brand identity') {
    const client = await aClient(env.platform, { credits: 3 })
    const designer = await aDesigner(env.platform)
    const brief = await aBrief(env.platform, client, { title: briefTitle })
    const match = await aMatch(env.platform, { client, designer, brief })
    const res = await env.http.inject({
      method: 'POST',
      url: `/v1/onedesigner/matches/${match.id}/unlock`,
      headers: { ...bearer(client), 'idempotency-key': randomUUID() },
    })
    expect(res.statusCode).toBe(201)
    return { client, designer, brief, match }
  }
  async function sentRequest() {
    const pair = await unlockedPair()
    const res = await send(pair.client, { matchId: pair.match.id, message: 'Would you design our logo?' })
    expect(res.statusCode, res.body).toBe(201)
    return { ...pair, request: res.json().request as { id: string; responseDeadline: string } }
  }

  describe('sending', () => {
    it('creates a pending request with a brief snapshot and a 72-hour deadline, and tells the designer', async () => {
      const { client, designer, match } = await unlockedPair('Fintech rebrand')
      const res = await send(client, { matchId: match.id, message: '  Would you design our logo?  ' })
      expect(res.statusCode).toBe(201)
      const r = res.json().request
      expect(r).toMatchObject({
        matchId: match.id,
        clientId: client.id,
        designerId: designer.id,
        message: 'Would you design our logo?',
        status: 'pending',
        viewedAt: null,
        respondedAt: null,
        clientEmail: null,
      })
      expect(new Date(r.responseDeadline).getTime()).toBe(env.clock.now().getTime() + 72 * HOUR)
      expect(r.briefSnapshot).toMatchObject({ projectTitle: 'Fintech rebrand', projectType: 'branding-logo', budget: '5k-10k' })

      const received = await notificationsOf(designer, 'project_request.received')
      expect(received).toHaveLength(1)
      expect(received[0].data).toMatchObject({ requestId: r.id })
      expect(received[0].title).toBe('New project request')
    })

    it('keeps the snapshot when the brief changes later', async () => {
      const { brief, request } = await sentRequest()
      await db().updateTable('onedesigner.briefs').set({ projectTitle: 'Renamed' }).where('id', '=', brief.id).execute()
      const stored = await db()
        .selectFrom('onedesigner.projectRequests')
        .select('briefSnapshot')
        .where('id', '=', request.id)
        .executeTakeFirstOrThrow()
      expect((stored.briefSnapshot as { projectTitle: string }).projectTitle).toBe('New brand identity')
    })

    it('allows one pending request per client and designer (409), and a new one after an answer', async () => {
      const { client, designer, match, request } = await sentRequest()
      const dup = await send(client, { matchId: match.id, message: 'Again?' })
      expect(dup.statusCode).toBe(409)
      expect(dup.json().error).toMatchObject({ code: 'conflict', details: { pendingRequestId: request.id } })
      expect((await answer(designer, request.id, 'decline')).statusCode).toBe(200)
      expect((await send(client, { matchId: match.id, message: 'Maybe next month?' })).statusCode).toBe(201)
    })

    it('needs the designer to be unlocked first (403), also enforced by RLS', async () => {
      const client = await aClient(env.platform, { credits: 0 })
      const designer = await aDesigner(env.platform)
      const brief = await aBrief(env.platform, client)
      const match = await aMatch(env.platform, { client, designer, brief })
      const res = await send(client, { matchId: match.id, message: 'Hello' })
      expect(res.statusCode).toBe(403)
      expect(res.json().error.message).toMatch(/Unlock this designer/)

      // Straight to the database as the client: the insert policy refuses it too.
      const direct = withUser(db(), { sub: client.id, role: 'client', app: 'onedesigner' }, (tx) =>
        tx
          .insertInto('onedesigner.projectRequests')
          .values({
            matchId: match.id,
            clientId: client.id,
            designerId: designer.id,
            message: 'x',
            briefSnapshot: '{}',
            responseDeadline: env.clock.now(),
          })
          .execute(),
      )
      await expect(direct).rejects.toThrow(/row-level security/)
    })

    it("cannot use another client's match (404)", async () => {
      const { match } = await unlockedPair()
      const intruder = await aClient(env.platform, { credits: 3 })
      const res = await send(intruder, { matchId: match.id, message: 'Hello' })
      expect(res.statusCode).toBe(404)
    })
  })

  describe('reading', () => {
    it('lists sent requests for the client and received ones for the designer, filtered by status', async () => {
      const a = await sentRequest()
      const b = await sentRequest()
      await answer(b.designer, b.request.id, 'accept')

      const clientList = (await list(a.client)).json().requests
      expect(clientList.map((r: { id: string }) => r.id)).toEqual([a.request.id])
      const designerList = (await list(a.designer)).json().requests
      expect(designerList.map((r: { id: string }) => r.id)).toEqual([a.request.id])

      expect((await list(b.designer, '?status=accepted')).json().requests).toHaveLength(1)
      expect((await list(b.designer, '?status=pending')).json().requests).toHaveLength(0)
      expect((await list(a.client, '?status=pending&limit=1&offset=0')).json().requests).toHaveLength(1)
      expect((await list(a.client, '?offset=1')).json().requests).toHaveLength(0)
    })

    it('sets viewed_at on the designer’s first view only, and tells the client once', async () => {
      const { client, designer, request } = await sentRequest()
      expect((await read(client, request.id)).json().request.viewedAt).toBeNull()

      const firstAt = env.clock.now()
      const first = await read(designer, request.id)
      expect(first.statusCode).toBe(200)
      expect(new Date(first.json().request.viewedAt).getTime()).toBe(firstAt.getTime())

      env.clock.advance(HOUR)
      const second = await read(designer, request.id)
      expect(new Date(second.json().request.viewedAt).getTime()).toBe(firstAt.getTime())
      expect(new Date((await read(client, request.id)).json().request.viewedAt).getTime()).toBe(firstAt.getTime())
      expect(await notificationsOf(client, 'project_request.viewed')).toHaveLength(1)
    })

    it('hides requests from other clients and other designers (RLS)', async () => {
      const { request } = await sentRequest()
      const otherClient = await aClient(env.platform)
      const otherDesigner = await aDesigner(env.platform)
      expect((await read(otherClient, request.id)).statusCode).toBe(404)
      expect((await read(otherDesigner, request.id)).statusCode).toBe(404)
      expect((await list(otherClient)).json().requests).toEqual([])
      expect((await list(otherDesigner)).json().requests).toEqual([])
      const stored = await db()
        .selectFrom('onedesigner.projectRequests')
        .select('viewedAt')
        .where('id', '=', request.id)
        .executeTakeFirstOrThrow()
      expect(stored.viewedAt).toBeNull()
    })
  })

  describe('answering', () => {
    it('accept: only the designer, releases the client email, tells the client', async () => {
      const { client, designer, request } = await sentRequest()
      expect((await read(designer, request.id)).json().request.clientEmail).toBeNull()

      expect((await answer(client, request.id, 'accept')).statusCode).toBe(403)
      const otherDesigner = await aDesigner(env.platform)
      expect((await answer(otherDesigner, request.id, 'accept')).statusCode).toBe(404)
      expect(await statusOf(request.id)).toBe('pending')

      const res = await answer(designer, request.id, 'accept', { message: 'Happy to help!' })
      expect(res.statusCode).toBe(200)
      expect(res.json().request).toMatchObject({ status: 'accepted', clientEmail: client.email, responseMessage: 'Happy to help!' })
      expect(new Date(res.json().request.respondedAt).getTime()).toBe(env.clock.now().getTime())
      expect((await read(designer, request.id)).json().request.clientEmail).toBe(client.email)

      const told = await notificationsOf(client, 'project_request.accepted')
      expect(told).toHaveLength(1)
      expect(told[0].data).toMatchObject({ requestId: request.id, designerId: designer.id })

      const again = await answer(designer, request.id, 'decline')
      expect(again.statusCode).toBe(409)
      expect(again.json().error.message).toMatch(/already accepted/)
      expect(await statusOf(request.id)).toBe('accepted')
    })

    it('decline: the email stays hidden and the client is told', async () => {
      const { client, designer, request } = await sentRequest()
      const res = await answer(designer, request.id, 'decline', { message: 'Fully booked, sorry.' })
      expect(res.statusCode).toBe(200)
      expect(res.json().request).toMatchObject({ status: 'declined', clientEmail: null, responseMessage: 'Fully booked, sorry.' })
      expect(await notificationsOf(client, 'project_request.declined')).toHaveLength(1)
      expect((await answer(designer, request.id, 'accept')).statusCode).toBe(409)
    })

    it('the database never shows the email before acceptance, whatever is written', async () => {
      const { designer, request } = await sentRequest()
      await withUser(db(), { sub: designer.id, role: 'designer', app: 'onedesigner' }, (tx) =>
        tx.updateTable('onedesigner.projectRequests').set({ clientEmail: 'guess@example.test' }).where('id', '=', request.id).execute(),
      )
      const stored = await db()
        .selectFrom('onedesigner.projectRequests')
        .select('clientEmail')
        .where('id', '=', request.id)
        .executeTakeFirstOrThrow()
      expect(stored.clientEmail).toBeNull()
    })

    it('after 72 hours an answer gets 410, the request expires and both sides are told', async () => {
      const { client, designer, request } = await sentRequest()
      env.clock.advance(72 * HOUR + MINUTE)
      const late = await answer(designer, request.id, 'accept')
      expect(late.statusCode).toBe(410)
      expect(late.json().error).toMatchObject({ code: 'gone', message: expect.stringMatching(/72-hour/) })
      expect(await statusOf(request.id)).toBe('expired')
      expect((await read(designer, request.id)).json().request.clientEmail).toBeNull()
      expect(await notificationsOf(client, 'project_request.expired')).toHaveLength(1)
      expect(await notificationsOf(designer, 'project_request.expired')).toHaveLength(1)
      expect((await answer(designer, request.id, 'decline')).statusCode).toBe(410)
    })

    it('just before the deadline an answer still counts', async () => {
      const { designer, request } = await sentRequest()
      env.clock.advance(72 * HOUR - MINUTE)
      expect((await answer(designer, request.id, 'accept')).statusCode).toBe(200)
    })
  })

  describe('bad input', () => {
    it('answers every malformed request with 4xx JSON naming the problem', async () => {
      const { client, designer, match, request } = await sentRequest()
      const long = 'x'.repeat(5001)
      const cases: Array<[Promise<{ statusCode: number; json(): any; body: string }>, number, RegExp | null]> = [
        [send(undefined, { matchId: match.id, message: 'hi' }), 401, null],
        [send(designer, { matchId: match.id, message: 'hi' }), 403, null],
        [send(client, { message: 'hi' }), 400, /body\.matchId/],
        [send(client, { matchId: 'nope', message: 'hi' }), 400, /body\.matchId/],
        [send(client, { matchId: match.id }), 400, /body\.message/],
        [send(client, { matchId: match.id, message: '   ' }), 400, /body\.message/],
        [send(client, { matchId: match.id, message: long }), 400, /body\.message/],
        [send(client, { matchId: match.id, message: 'a\u0000b' }), 400, /body\.message/],
        [send(client, { matchId: match.id, message: 42 }), 400, /body\.message/],
        [send(client, ['not', 'an', 'object']), 400, null],
        [send(client, { matchId: '00000000-0000-4000-8000-000000000000', message: 'hi' }), 404, null],
        [
          env.http.inject({
            method: 'POST',
            url: BASE,
            headers: { ...bearer(client), 'content-type': 'application/json' },
            payload: '{"matchId":',
          }),
          400,
          /JSON/,
        ],
        [list(client, '?status=bogus'), 400, /querystring\.status/],
        [list(client, '?limit=0'), 400, /querystring\.limit/],
        [list(client, '?limit=abc'), 400, /querystring\.limit/],
        [list(client, '?offset=-1'), 400, /querystring\.offset/],
        [read(client, 'not-a-uuid'), 400, /params\.id/],
        [read(client, '00000000-0000-4000-8000-000000000000'), 404, null],
        [env.http.inject({ method: 'GET', url: BASE }), 401, null],
        [answer(designer, 'not-a-uuid', 'accept'), 400, /params\.id/],
        [answer(designer, '00000000-0000-4000-8000-000000000000', 'accept'), 404, null],
        [answer(designer, request.id, 'accept', { message: 'x'.repeat(2001) }), 400, /body\.message/],
        [answer(designer, request.id, 'decline', { message: 7 }), 400, /body\.message/],
        [answer(designer, request.id, 'decline', { message: '' }), 400, /body\.message/],
      ]
      for (const [promise, status, message] of cases) {
        const res = await promise
        expect(res.statusCode, res.body).toBe(status)
        expect(res.json().error.code).toEqual(expect.any(String))
        if (message) expect(res.json().error.message).toMatch(message)
      }
      expect(await statusOf(request.id)).toBe('pending')
    })
  })
})
