// Bandsy's rows and tokens for the hostile-input fuzzer (test/fuzz/): a premium musician matched
// with another, in a band with a third, with an event and an invitation for a fourth.
import type { FuzzAuth, FuzzFixture, FuzzSeeding } from '../app-testing'
import { aGroup, aMatch, aMusician } from '../bandsy'
import { asActor } from './bandsy-rls'

const KINDS: Record<string, string> = {
  user: 'users',
  touser: 'users',
  musician: 'users',
  match: 'matches',
  conversation: 'conversations',
  message: 'messages',
  group: 'groups',
  event: 'events',
  invitation: 'invitations',
  instrument: 'instruments',
  genre: 'genres',
  sample: 'media-samples',
  'media-sample': 'media-samples',
  purchase: 'purchases',
  notification: 'notifications',
}

async function seed(s: FuzzSeeding): Promise<FuzzAuth> {
  const p = s.env.platform
  const lead = await aMusician(p, { plan: 'premium' })
  const partner = await aMusician(p)
  const bandmate = await aMusician(p, { at: { lat: 52.6, lng: 13.5 } })
  const invitee = await aMusician(p, { at: { lat: 52.4, lng: 13.3 } })
  const bandMatch = await aMatch(p, lead, partner)
  const band = await aGroup(p, lead, [bandmate])
  const db = p.db.kysely
  const event = await db
    .insertInto('bandsy.events')
    .values({
      groupId: band.groupId,
      title: 'Gig',
      latitude: 52.5,
      longitude: 13.4,
      startDate: new Date(p.clock.now().getTime() + 86_400_000),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const invitation = await db
    .insertInto('bandsy.groupInvitations')
    .values({ groupId: band.groupId, invitedUserId: invitee.id, invitedBy: lead.id })
    .returning('id')
    .executeTakeFirstOrThrow()
  const musicians = [lead, partner, bandmate, invitee]
  for (const m of musicians) {
    s.addId(m.id, 'users')
    s.addEmail(m.email)
  }
  s.addKnown(
    'username',
    musicians.map((m) => m.username),
  )
  s.addId(bandMatch.matchId, 'matches')
  s.addId(bandMatch.conversationId, 'conversations')
  s.addId(band.conversationId, 'conversations')
  s.addId(band.groupId, 'groups')
  s.addId(event.id, 'events')
  s.addId(invitation.id, 'invitations')
  for (const r of await db.selectFrom('bandsy.instruments').select('id').limit(10).execute()) s.addId(r.id, 'instruments')
  for (const r of await db.selectFrom('bandsy.genres').select('id').limit(10).execute()) s.addId(r.id, 'genres')

  const b = (t: string) => `Bearer ${t}`
  return {
    kinds: {
      musician: { role: 'musician', headers: [b(partner.token), b(bandmate.token), b(invitee.token)] },
      musicianPremium: { role: 'musician', headers: [b(lead.token)] },
    },
    draw: ['musician', 'musicianPremium', 'musician'],
    principals: [asActor(partner), asActor(lead)],
  }
}

export const bandsyFuzz: FuzzFixture = { kinds: KINDS, seed }
