// Small builders for Bandsy test data. They write on the owner role (as a seeding tool would) and
// hand back ids and a signed token for the musician they made.
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { Platform } from '../../src/platform/platform'
import type { PaidPlan } from '../../src/apps/bandsy/plans'

export const BANDSY = '/v1/bandsy'
let counter = 0

export interface Musician {
  id: string
  username: string
  email: string
  token: string
}

export const bearer = (user: { token: string }) => ({ authorization: `Bearer ${user.token}` })

export type { BandsySkillLevel as Skill } from '../../src/platform/db/schema.generated'
import type { BandsySkillLevel as Skill } from '../../src/platform/db/schema.generated'

export interface MusicianOptions {
  username?: string
  displayName?: string
  age?: number | null
  showAge?: boolean
  /** null: no location. Default: central Berlin. */
  at?: { lat: number; lng: number } | null
  city?: string
  country?: string
  /** Instrument names from the reference data, with skill. Default: one Electric Guitar, intermediate, primary. */
  instruments?: { name: string; skill: Skill; years?: number; primary?: boolean }[]
  /** Genre names with preference 1..5. Default: Rock at 3. */
  genres?: { name: string; preference?: number }[]
  searchRadius?: number
  ageRange?: { min: number; max: number }
  lookingFor?: string
  lastActiveAt?: Date
  deleted?: boolean
  active?: boolean
  plan?: PaidPlan
}

export const BERLIN = { lat: 52.52, lng: 13.405 }

/** A musician with a complete profile (instrument, genre, location) unless told otherwise. */
export async function aMusician(p: Platform, o: MusicianOptions = {}): Promise<Musician> {
  const n = ++counter
  const username = o.username ?? `m${process.pid}-${n}-${randomUUID().slice(0, 6)}`.toLowerCase()
  const email = `${username}@example.test`
  const at = o.at === undefined ? BERLIN : o.at
  const db = p.db.kysely
  const now = p.clock.now()
  const user = await db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('bandsy.users')
      .values({
        clerkId: `test:${username}`,
        email,
        username,
        displayName: o.displayName ?? `Musician ${n}`,
        age: o.age === undefined ? 30 : o.age,
        showAge: o.showAge ?? false,
        city: o.city ?? 'Berlin',
        country: o.country ?? 'Germany',
        latitude: at?.lat ?? null,
        longitude: at?.lng ?? null,
        isActive: o.active ?? true,
        lastActiveAt: o.lastActiveAt ?? now,
        createdAt: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    for (const [i, ins] of (o.instruments ?? [{ name: 'Electric Guitar', skill: 'intermediate' as Skill, primary: true }]).entries())
      await sql`insert into bandsy.user_instruments (user_id, instrument_id, skill_level, years_of_experience, is_primary)
                select ${row.id}, id, ${ins.skill}, ${ins.years ?? 3}, ${ins.primary ?? i === 0} from bandsy.instruments where name = ${ins.name}`.execute(
        tx,
      )
    for (const g of o.genres ?? [{ name: 'Rock', preference: 3 }])
      await sql`insert into bandsy.user_genres (user_id, genre_id, preference)
                select ${row.id}, id, ${g.preference ?? 3} from bandsy.genres where name = ${g.name}`.execute(tx)
    await tx
      .updateTable('bandsy.userMatchProfiles')
      .set({
        searchRadius: o.searchRadius ?? 50,
        ageRangeMin: o.ageRange?.min ?? null,
        ageRangeMax: o.ageRange?.max ?? null,
        lookingFor: o.lookingFor ?? 'any',
      })
      .where('userId', '=', row.id)
      .execute()
    if (o.plan)
      await tx
        .insertInto('bandsy.subscriptions')
        .values({
          userId: row.id,
          planType: o.plan,
          status: 'active',
          startDate: new Date(now.getTime() - 60_000),
          endDate: new Date(now.getTime() + 30 * 86_400_000),
        })
        .execute()
    if (o.deleted) await tx.updateTable('bandsy.users').set({ deletedAt: now, isActive: false }).where('id', '=', row.id).execute()
    return row
  })
  const token = await p.tokens.sign({ sub: user.id, role: 'musician', app: 'bandsy', email }, now)
  return { id: user.id, username, email, token }
}

export async function instrumentId(p: Platform, name: string): Promise<string> {
  const r = await p.db.kysely.selectFrom('bandsy.instruments').select('id').where('name', '=', name).executeTakeFirstOrThrow()
  return r.id
}

export async function genreId(p: Platform, name: string): Promise<string> {
  const r = await p.db.kysely.selectFrom('bandsy.genres').select('id').where('name', '=', name).executeTakeFirstOrThrow()
  return r.id
}

/** Records an interaction directly (owner role), as if the musician had swiped. */
export async function anInteraction(p: Platform, from: Musician, to: Musician, type: 'like' | 'pass' | 'super_like' | 'block') {
  await p.db.kysely
    .insertInto('bandsy.userInteractions')
    .values({ fromUserId: from.id, toUserId: to.id, type, context: 'discovery' })
    .execute()
}

/** A mutual match with its conversation, made the way the API makes one (bandsy.create_mutual_match). */
export async function aMatch(p: Platform, a: Musician, b: Musician): Promise<{ matchId: string; conversationId: string }> {
  await anInteraction(p, a, b, 'like')
  await anInteraction(p, b, a, 'like')
  const matchId = await p.db.kysely.transaction().execute(async (tx) => {
    await sql`select set_config('request.claims', ${JSON.stringify({ sub: a.id, role: 'musician', app: 'bandsy' })}, true)`.execute(tx)
    const { rows } = await sql<{ matchId: string }>`select match_id from bandsy.create_mutual_match(${b.id}::uuid, 50, '{}'::json)`.execute(
      tx,
    )
    return rows[0].matchId
  })
  const conv = await p.db.kysely.selectFrom('bandsy.conversations').select('id').where('matchId', '=', matchId).executeTakeFirstOrThrow()
  return { matchId, conversationId: conv.id }
}

/** A group founded by `admin` (who becomes its admin), with the given members added directly. */
export async function aGroup(p: Platform, admin: Musician, members: Musician[] = [], o: { name?: string; maxMembers?: number } = {}) {
  return p.db.kysely.transaction().execute(async (tx) => {
    await sql`select set_config('request.claims', ${JSON.stringify({ sub: admin.id, role: 'musician', app: 'bandsy' })}, true)`.execute(tx)
    const g = await tx
      .insertInto('bandsy.groups')
      .values({ name: o.name ?? `Band ${++counter}`, maxMembers: o.maxMembers ?? 10 })
      .returning('id')
      .executeTakeFirstOrThrow()
    for (const m of members) await tx.insertInto('bandsy.groupMembers').values({ groupId: g.id, userId: m.id, role: 'member' }).execute()
    const conv = await tx.selectFrom('bandsy.conversations').select('id').where('groupId', '=', g.id).executeTakeFirstOrThrow()
    return { groupId: g.id, conversationId: conv.id }
  })
}
