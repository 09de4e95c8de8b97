// Bandsy's part of the row-level security matrix (test/rls/): four musicians per world with a
// row of theirs in every Bandsy table, and per table whose rows are whose. The lead is premium
// (sees plain likes sent to them), matched with the partner, admin of a band whose member super
// liked them, and has invited the invitee. Written on the owner role, as a seeding tool would.
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Platform } from '../../../src/platform/platform'
import { aGroup, aMatch, aMusician, genreId, type Musician } from '../bandsy'
import type { Actor, AppWorld, RowSet, TableSpec } from '../app-testing'

export interface BandWorld extends AppWorld {
  lead: Actor
  partner: Actor
  member: Actor
  invitee: Actor
  matchId: string
  matchConversationId: string
  groupId: string
  groupConversationId: string
  publicSampleId: string
  privateSampleId: string
}

const tag = () => randomBytes(4).toString('hex')
export const asActor = (m: Musician): Actor => ({ id: m.id, email: m.email, token: m.token, role: 'musician', app: 'bandsy' })
const MUSICIANS = ['musician'] as const

export async function bandWorld(p: Platform, _name: string): Promise<BandWorld> {
  const db = p.db.kysely
  const lead = await aMusician(p, { plan: 'premium' })
  const partner = await aMusician(p)
  const member = await aMusician(p)
  const invitee = await aMusician(p)
  const { matchId, conversationId: matchConversationId } = await aMatch(p, lead, partner)
  await db
    .insertInto('bandsy.userInteractions')
    .values({ fromUserId: member.id, toUserId: lead.id, type: 'super_like', context: 'discovery' })
    .execute()
  const { groupId, conversationId: groupConversationId } = await aGroup(p, lead, [member])
  await db
    .insertInto('bandsy.groupGenres')
    .values({ groupId, genreId: await genreId(p, 'Funk') })
    .execute()
  await db.insertInto('bandsy.groupInvitations').values({ groupId, invitedUserId: invitee.id, invitedBy: lead.id }).execute()
  const start = new Date(p.clock.now().getTime() + 7 * 86_400_000)
  await db
    .insertInto('bandsy.events')
    .values([
      { groupId, title: 'Open gig', startDate: start, isPublic: true },
      { groupId, title: 'Band rehearsal', startDate: start, isPublic: false },
    ])
    .execute()
  await db
    .insertInto('bandsy.messages')
    .values([
      { conversationId: matchConversationId, senderId: lead.id, type: 'text', content: 'Hi partner' },
      { conversationId: groupConversationId, senderId: member.id, type: 'text', content: 'Hi band' },
    ])
    .execute()
  const samples = await db
    .insertInto('bandsy.mediaSamples')
    .values([
      { userId: lead.id, title: 'Public riff', fileUrl: '/x/public', fileType: 'audio', isPublic: true },
      { userId: lead.id, title: 'Private demo', fileUrl: '/x/private', fileType: 'audio', isPublic: false },
    ])
    .returning(['id', 'isPublic'])
    .execute()
  const publicSampleId = samples.find((s) => s.isPublic)!.id
  const privateSampleId = samples.find((s) => !s.isPublic)!.id
  const rock = await genreId(p, 'Rock')
  await db
    .insertInto('bandsy.mediaSampleGenres')
    .values([
      { mediaSampleId: publicSampleId, genreId: rock },
      { mediaSampleId: privateSampleId, genreId: rock },
    ])
    .execute()
  for (const m of [lead, partner, member, invitee]) {
    await db
      .insertInto('bandsy.notifications')
      .values({ userId: m.id, type: 'test', title: `for ${m.username}` })
      .execute()
    await db
      .insertInto('bandsy.authTokens')
      .values({ email: m.email, code: tag(), type: 'musician', purpose: 'login', expiresAt: start })
      .execute()
    const now = p.clock.now()
    await db
      .insertInto('bandsy.discoveryFeeds')
      .values({ userId: m.id, candidateIds: [lead.id], originLat: 52.5, originLng: 13.4, radiusKm: 50, createdAt: now, expiresAt: start })
      .execute()
    await db
      .insertInto('bandsy.superLikeSpends')
      .values({ userId: m.id, toUserId: m.id === lead.id ? partner.id : lead.id, spentAt: now })
      .execute()
    await db
      .insertInto('bandsy.subscriptionPurchases')
      .values({ userId: m.id, planType: 'basic', amountCents: 499, currency: 'usd', provider: 'local' })
      .execute()
  }
  const actors = [lead, partner, member, invitee].map(asActor)
  return {
    actors,
    lead: actors[0]!,
    partner: actors[1]!,
    member: actors[2]!,
    invitee: actors[3]!,
    matchId,
    matchConversationId,
    groupId,
    groupConversationId,
    publicSampleId,
    privateSampleId,
  }
}

export function bandsyTables(p: Platform): Record<string, TableSpec<BandWorld>> {
  const future = () => new Date(p.clock.now().getTime() + 86_400_000)
  /** One row set per musician, by the column naming them; `readable`: every musician may read it. */
  const perMusician = (
    column: string,
    insert: (m: Actor, b: BandWorld) => Record<string, unknown>,
    readable = false,
  ): TableSpec<BandWorld> => ({
    byDesign: readable ? 'public within Bandsy: every signed-in musician reads it (profiles, discovery)' : undefined,
    sets: (w) =>
      w.actors.map((m) => ({
        label: `musician ${m.email}`,
        where: sql`${sql.ref(column)} = ${m.id}`,
        parties: [m],
        readableBy: readable ? [...MUSICIANS] : undefined,
        insert: insert(m, w),
        owner: { column, value: m.id },
      })),
  })
  const ofGroup = (b: BandWorld, extra: Partial<RowSet> & Pick<RowSet, 'insert'>): RowSet => ({
    label: `band of ${b.lead.email}`,
    where: sql`group_id = ${b.groupId}`,
    parties: [b.lead, b.member],
    ...extra,
  })
  const catalogue = (insert: () => Record<string, unknown>): TableSpec<BandWorld> => ({
    byDesign: 'the catalogue is public to musicians; only the owner role (and Bandsy admins) write it',
    sets: () => [{ label: 'catalogue', where: sql`true`, parties: [], readableBy: [...MUSICIANS], insert: insert() }],
  })

  return {
    'bandsy.users': perMusician('id', () => ({ clerk_id: `x-${tag()}`, username: `x-${tag()}`, display_name: 'X' }), true),
    'bandsy.instruments': catalogue(() => ({ name: `x-${tag()}` })),
    'bandsy.genres': catalogue(() => ({ name: `x-${tag()}` })),
    'bandsy.user_instruments': perMusician(
      'user_id',
      (m) => ({ user_id: m.id, instrument_id: sql`(select id from bandsy.instruments where name = 'Tuba')`, skill_level: 'beginner' }),
      true,
    ),
    'bandsy.user_genres': perMusician(
      'user_id',
      (m) => ({ user_id: m.id, genre_id: sql`(select id from bandsy.genres where name = 'Ska')` }),
      true,
    ),
    'bandsy.user_match_profiles': perMusician('user_id', (m) => ({ user_id: m.id }), true),
    'bandsy.notifications': perMusician('user_id', (m) => ({ user_id: m.id, type: 'x', title: 'x' })),
    'bandsy.discovery_feeds': perMusician('user_id', (m) => ({
      user_id: m.id,
      candidate_ids: sql`array[]::uuid[]`,
      origin_lat: 1,
      origin_lng: 1,
      radius_km: 5,
      created_at: new Date(),
      expires_at: future(),
    })),
    'bandsy.super_like_spends': perMusician('user_id', (m, b) => ({
      user_id: m.id,
      to_user_id: b.invitee.id === m.id ? b.lead.id : b.invitee.id,
    })),
    'bandsy.subscription_purchases': perMusician('user_id', (m) => ({
      user_id: m.id,
      plan_type: 'pro',
      amount_cents: 1999,
      currency: 'usd',
      provider: 'local',
    })),
    'bandsy.auth_tokens': {
      sets: (w) =>
        w.actors.map((m) => ({
          label: `codes of ${m.email}`,
          where: sql`email = ${m.email}`,
          parties: [m],
          insert: { email: m.email, code: 'x', type: 'musician', purpose: 'login', expires_at: future() },
          owner: { column: 'email', value: m.email },
        })),
    },
    'bandsy.subscriptions': {
      sets: (w) => [
        {
          label: `subscription of ${w.lead.email}`,
          where: sql`user_id = ${w.lead.id}`,
          parties: [w.lead],
          insert: { user_id: w.lead.id, plan_type: 'pro', status: 'active', start_date: new Date() },
          owner: { column: 'user_id', value: w.lead.id },
        },
      ],
    },
    'bandsy.media_samples': {
      byDesign: 'public samples are public to musicians; private ones only to their owner',
      sets: (w) => [
        {
          label: `public sample of ${w.lead.email}`,
          where: sql`id = ${w.publicSampleId}`,
          parties: [w.lead],
          readableBy: [...MUSICIANS],
          insert: { user_id: w.lead.id, title: 'x', file_url: '/x', file_type: 'audio' },
          owner: { column: 'user_id', value: w.lead.id },
        },
        {
          label: `private sample of ${w.lead.email}`,
          where: sql`id = ${w.privateSampleId}`,
          parties: [w.lead],
          insert: { user_id: w.lead.id, title: 'x', file_url: '/x', file_type: 'audio', is_public: false },
          owner: { column: 'user_id', value: w.lead.id },
        },
      ],
    },
    'bandsy.media_sample_genres': {
      byDesign: "a public sample's tags are as public as the sample",
      sets: (w) => [
        {
          label: `tags of the public sample of ${w.lead.email}`,
          where: sql`media_sample_id = ${w.publicSampleId}`,
          parties: [w.lead],
          readableBy: [...MUSICIANS],
          insert: { media_sample_id: w.publicSampleId, genre_id: sql`(select id from bandsy.genres where name = 'Jazz')` },
        },
        {
          label: `tags of the private sample of ${w.lead.email}`,
          where: sql`media_sample_id = ${w.privateSampleId}`,
          parties: [w.lead],
          insert: { media_sample_id: w.privateSampleId, genre_id: sql`(select id from bandsy.genres where name = 'Jazz')` },
        },
      ],
    },
    'bandsy.user_interactions': {
      byDesign: 'the target of a like reads it on a premium plan; of a super like always',
      sets: (w) => {
        const b = w
        const pair = (from: Actor, to: Actor) => sql`from_user_id = ${from.id} and to_user_id = ${to.id}`
        const insert = (from: Actor) => ({ from_user_id: from.id, to_user_id: b.invitee.id, type: 'pass', context: 'discovery' })
        return [
          // The partner is on the free plan: the lead's like stays the lead's.
          {
            label: 'like lead -> partner',
            where: pair(b.lead, b.partner),
            parties: [b.lead],
            insert: insert(b.lead),
            owner: { column: 'from_user_id', value: b.lead.id },
          },
          {
            label: 'like partner -> premium lead',
            where: pair(b.partner, b.lead),
            parties: [b.partner, b.lead],
            insert: insert(b.partner),
            owner: { column: 'from_user_id', value: b.partner.id },
          },
          {
            label: 'super like member -> lead',
            where: pair(b.member, b.lead),
            parties: [b.member, b.lead],
            insert: insert(b.member),
            owner: { column: 'from_user_id', value: b.member.id },
          },
        ]
      },
    },
    'bandsy.matches': {
      sets: (w) => [
        {
          label: `match ${w.lead.email} & ${w.partner.email}`,
          where: sql`id = ${w.matchId}`,
          parties: [w.lead, w.partner],
          insert: {
            user1_id: w.member.id < w.invitee.id ? w.member.id : w.invitee.id,
            user2_id: w.member.id < w.invitee.id ? w.invitee.id : w.member.id,
          },
        },
      ],
    },
    'bandsy.conversations': {
      sets: (w) => [
        {
          label: 'match conversation',
          where: sql`id = ${w.matchConversationId}`,
          parties: [w.lead, w.partner],
          insert: { match_id: w.matchId },
        },
        {
          label: 'band conversation',
          where: sql`id = ${w.groupConversationId}`,
          parties: [w.lead, w.member],
          insert: { group_id: w.groupId, is_group_chat: true },
        },
      ],
    },
    'bandsy.conversation_participants': {
      sets: (w) => [
        {
          label: 'participants of the match conversation',
          where: sql`conversation_id = ${w.matchConversationId}`,
          parties: [w.lead, w.partner],
          insert: { conversation_id: w.matchConversationId, user_id: w.invitee.id },
        },
        {
          label: 'participants of the band conversation',
          where: sql`conversation_id = ${w.groupConversationId}`,
          parties: [w.lead, w.member],
          insert: { conversation_id: w.groupConversationId, user_id: w.invitee.id },
        },
      ],
    },
    'bandsy.messages': {
      sets: (w) => [
        {
          label: 'messages of the match',
          where: sql`conversation_id = ${w.matchConversationId}`,
          parties: [w.lead, w.partner],
          insert: { conversation_id: w.matchConversationId, sender_id: w.lead.id, type: 'text', content: 'x' },
          owner: { column: 'sender_id', value: w.lead.id },
        },
        {
          label: 'messages of the band',
          where: sql`conversation_id = ${w.groupConversationId}`,
          parties: [w.lead, w.member],
          insert: { conversation_id: w.groupConversationId, sender_id: w.member.id, type: 'text', content: 'x' },
          owner: { column: 'sender_id', value: w.member.id },
        },
      ],
    },
    'bandsy.groups': {
      byDesign: 'active bands are public to musicians',
      sets: (w) => [
        {
          label: `band of ${w.lead.email}`,
          where: sql`id = ${w.groupId}`,
          parties: [w.lead, w.member],
          readableBy: [...MUSICIANS],
          insert: { name: 'x', created_by: w.lead.id },
        },
      ],
    },
    'bandsy.group_members': {
      byDesign: "an active band's line-up is public to musicians",
      sets: (w) => [ofGroup(w, { readableBy: [...MUSICIANS], insert: { group_id: w.groupId, user_id: w.partner.id, role: 'member' } })],
    },
    'bandsy.group_genres': {
      byDesign: "an active band's genres are public to musicians",
      sets: (w) => [
        ofGroup(w, {
          readableBy: [...MUSICIANS],
          insert: { group_id: w.groupId, genre_id: sql`(select id from bandsy.genres where name = 'Soul')` },
        }),
      ],
    },
    'bandsy.group_invitations': {
      sets: (w) => [
        {
          label: `invitation of ${w.invitee.email}`,
          where: sql`group_id = ${w.groupId}`,
          parties: [w.lead, w.invitee],
          insert: { group_id: w.groupId, invited_user_id: w.partner.id, invited_by: w.lead.id },
        },
      ],
    },
    'bandsy.events': {
      byDesign: 'public events are public to musicians; private ones to the band',
      sets: (w) => [
        ofGroup(w, {
          label: 'public event',
          where: sql`group_id = ${w.groupId} and is_public`,
          readableBy: [...MUSICIANS],
          insert: { group_id: w.groupId, title: 'x', start_date: future() },
        }),
        ofGroup(w, {
          label: 'private event',
          where: sql`group_id = ${w.groupId} and not is_public`,
          insert: { group_id: w.groupId, title: 'x', start_date: future(), is_public: false },
        }),
      ],
    },
  }
}
