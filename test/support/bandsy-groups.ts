// Builders for Bandsy groups and events, made over HTTP the way a musician would.
import { expect } from 'vitest'
import type { TestEnv } from './test-env'
import { BANDSY, bearer, type Musician } from './bandsy'

type Body = Record<string, unknown>

export const call = (env: TestEnv, who: Musician, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: Body) =>
  env.http.inject({ method, url: `${BANDSY}${url}`, headers: bearer(who), ...(payload ? { payload } : {}) })

/** A group founded over HTTP by `admin`. */
export async function foundGroup(env: TestEnv, admin: Musician, body: Body = {}): Promise<{ id: string; conversationId: string }> {
  const res = await call(env, admin, 'POST', '/groups', { name: 'The Testers', ...body })
  expect(res.statusCode, res.body).toBe(201)
  const { group } = res.json()
  return { id: group.id, conversationId: group.conversationId }
}

export async function invite(env: TestEnv, admin: Musician, groupId: string, who: Musician): Promise<string> {
  const res = await call(env, admin, 'POST', `/groups/${groupId}/invitations`, { userId: who.id })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().invitation.id
}

/** Invites `who` and has them accept: they join as a member. */
export async function join(env: TestEnv, admin: Musician, groupId: string, who: Musician) {
  const invitationId = await invite(env, admin, groupId, who)
  const res = await call(env, who, 'POST', `/invitations/${invitationId}/accept`)
  expect(res.statusCode, res.body).toBe(200)
}

/** Participants of a conversation, read on the owner role. */
export async function participantsOf(env: TestEnv, conversationId: string): Promise<string[]> {
  const rows = await env.platform.db.kysely
    .selectFrom('bandsy.conversationParticipants')
    .select('userId')
    .where('conversationId', '=', conversationId)
    .execute()
  return rows.map((r) => r.userId).sort()
}

export const DAY = 86_400_000

export async function anEvent(env: TestEnv, admin: Musician, groupId: string, body: Body = {}) {
  const res = await call(env, admin, 'POST', `/groups/${groupId}/events`, {
    title: 'Gig',
    startDate: new Date(env.clock.now().getTime() + DAY).toISOString(),
    ...body,
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().event as { id: string; title: string; distanceKm: number | null }
}
