// Bulk fixtures for Bandsy match races: hundreds of complete musicians per round, in a few
// statements rather than a builder call each.
import { sql } from 'kysely'
import type { Platform } from '../../src/platform/platform'
import { BERLIN, type Musician } from './bandsy'

/** n musicians with a complete profile (Electric Guitar, Rock, Berlin) and a signed token each. */
export async function manyMusicians(p: Platform, n: number, tag: string): Promise<Musician[]> {
  const now = p.clock.now()
  const users = await p.db.kysely.transaction().execute(async (tx) => {
    const { rows } = await sql<{ id: string; username: string; email: string }>`
      insert into bandsy.users (clerk_id, email, username, display_name, age, city, country, latitude, longitude, last_active_at, created_at)
      select 'race:' || ${tag} || '-' || g, 'race-' || ${tag} || '-' || g || '@example.test', 'race-' || ${tag} || '-' || g,
             'Racer ' || g, 30, 'Berlin', 'Germany', ${BERLIN.lat}, ${BERLIN.lng}, ${now}, ${now}
      from generate_series(1, ${n}) g
      returning id, username, email`.execute(tx)
    const ids = rows.map((r) => r.id)
    await sql`insert into bandsy.user_instruments (user_id, instrument_id, skill_level, years_of_experience, is_primary)
              select u, (select id from bandsy.instruments where name = 'Electric Guitar'), 'intermediate', 3, true
              from unnest(${ids}::uuid[]) u`.execute(tx)
    await sql`insert into bandsy.user_genres (user_id, genre_id, preference)
              select u, (select id from bandsy.genres where name = 'Rock'), 3 from unnest(${ids}::uuid[]) u`.execute(tx)
    return rows
  })
  return Promise.all(
    users.map(async (u) => ({ ...u, token: await p.tokens.sign({ sub: u.id, role: 'musician', app: 'bandsy', email: u.email }, now) })),
  )
}

/** Per pair: how many matches, conversations of those matches, and participants of those conversations. */
export async function pairBooks(p: Platform, pairs: [Musician, Musician][]) {
  const { rows } = await sql<{ lo: string; hi: string; matches: number; conversations: number; participants: number }>`
    select x.lo, x.hi, count(distinct m.id)::int as matches, count(distinct c.id)::int as conversations, count(cp.id)::int as participants
    from unnest(${pairs.map(([a, b]) => (a.id < b.id ? a.id : b.id))}::uuid[], ${pairs.map(([a, b]) => (a.id < b.id ? b.id : a.id))}::uuid[]) as x(lo, hi)
    left join bandsy.matches m on m.user1_id = x.lo and m.user2_id = x.hi
    left join bandsy.conversations c on c.match_id = m.id
    left join bandsy.conversation_participants cp on cp.conversation_id = c.id
    group by x.lo, x.hi`.execute(p.db.kysely)
  return rows
}
