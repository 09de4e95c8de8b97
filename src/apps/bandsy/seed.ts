// Bandsy demo data: musicians around five German cities with instruments, genres and a few
// likes, one band with a gig, and the demo musician you sign in as. Loaded once, in one
// transaction, from a fixed pseudo-random sequence so every install gets the same scene.
import { sql } from 'kysely'
import { type Platform, type SeedOptions, type Tx, DAY, BandsySkillLevelValues } from '../../platform'
import { APP } from './app-name'

export const DEMO_MUSICIAN = 'demo@bandsy.local'
const DEFAULT_MUSICIANS = 200

const CITIES = [
  { city: 'Berlin', region: 'Berlin', lat: 52.52, lng: 13.405 },
  { city: 'Hamburg', region: 'Hamburg', lat: 53.551, lng: 9.994 },
  { city: 'Leipzig', region: 'Saxony', lat: 51.34, lng: 12.375 },
  { city: 'Cologne', region: 'North Rhine-Westphalia', lat: 50.938, lng: 6.96 },
  { city: 'Munich', region: 'Bavaria', lat: 48.137, lng: 11.575 },
]
const FIRST = ['Alex', 'Sam', 'Jo', 'Robin', 'Kim', 'Luca', 'Mia', 'Noah', 'Lena', 'Finn', 'Ida', 'Emil', 'Nora', 'Ben', 'Zoe', 'Max']
const LAST = ['Keys', 'Strings', 'Beat', 'Groove', 'Tone', 'Riff', 'Chord', 'Reed', 'Brass', 'Fader']
const SKILLS = BandsySkillLevelValues
const LOOKING = ['any', 'band', 'collaborator', 'jam', 'session'] as const

/** A small deterministic generator (mulberry32): the same demo scene on every install. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export async function isSeeded(platform: Platform): Promise<boolean> {
  return !!(await platform.db.kysely.selectFrom('bandsy.users').select('id').where('email', '=', DEMO_MUSICIAN).executeTakeFirst())
}

export async function seed(platform: Platform, opts: SeedOptions = {}): Promise<string[]> {
  const total = opts.size ?? DEFAULT_MUSICIANS
  const now = platform.clock.now()
  const rnd = random(42)
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]
  await platform.db.kysely.transaction().execute(async (tx) => {
    const instruments = await tx.selectFrom('bandsy.instruments').select(['id', 'name']).execute()
    const genres = await tx.selectFrom('bandsy.genres').select(['id', 'name']).execute()
    const byName = (rows: { id: string; name: string }[], name: string) => rows.find((r) => r.name === name)!.id

    const demo = await insertMusician(tx, {
      clerkId: `email:${DEMO_MUSICIAN}`,
      email: DEMO_MUSICIAN,
      username: 'demo-drummer',
      displayName: 'Demo Drummer',
      bio: 'Drummer looking for a band that rehearses weekly.',
      age: 29,
      ...CITIES[0],
      lastActiveAt: now,
      instruments: [{ id: byName(instruments, 'Drums'), skill: 'advanced', years: 9 }],
      genres: [
        { id: byName(genres, 'Indie Rock'), preference: 5 },
        { id: byName(genres, 'Funk'), preference: 3 },
      ],
      lookingFor: 'band',
    })
    const others: string[] = []
    for (let i = 0; i < total; i++) {
      const place = CITIES[i % CITIES.length]
      const name = `${pick(FIRST)} ${pick(LAST)}`
      const mine = [...new Set([pick(instruments), pick(instruments)])]
      const liked = [...new Set([pick(genres), pick(genres), pick(genres)])]
      others.push(
        await insertMusician(tx, {
          clerkId: `demo:${i}`,
          email: `musician${i}@bandsy.local`,
          username: `${name.toLowerCase().replace(' ', '-')}-${i}`,
          displayName: name,
          bio: `Plays ${mine.map((m) => m.name.toLowerCase()).join(' and ')}; into ${liked.map((g) => g.name).join(', ')}.`,
          age: 18 + Math.floor(rnd() * 40),
          city: place.city,
          region: place.region,
          // Spread within about 25 km of the city centre.
          lat: place.lat + (rnd() - 0.5) * 0.45,
          lng: place.lng + (rnd() - 0.5) * 0.7,
          lastActiveAt: new Date(now.getTime() - Math.floor(rnd() * 30) * DAY),
          instruments: mine.map((m) => ({ id: m.id, skill: pick(SKILLS), years: 1 + Math.floor(rnd() * 20) })),
          genres: liked.map((g) => ({ id: g.id, preference: 1 + Math.floor(rnd() * 5) })),
          lookingFor: pick(LOOKING),
        }),
      )
      opts.progress?.(i + 1, total, 'musicians')
    }
    // A few Berlin musicians already like the demo musician (two with a super like, which a free
    // plan sees in GET /likes/received): liking one back makes a match.
    const berliners = others.filter((_, i) => i % CITIES.length === 0).slice(0, 5)
    for (const [i, from] of berliners.entries())
      await tx
        .insertInto('bandsy.userInteractions')
        .values({ fromUserId: from, toUserId: demo, type: i < 2 ? 'super_like' : 'like', context: 'discovery' })
        .execute()
    await sql`select set_config('request.claims', ${JSON.stringify({ sub: berliners[0], role: 'musician', app: APP })}, true)`.execute(tx)
    const band = await tx
      .insertInto('bandsy.groups')
      .values({ name: 'The Demo Tapes', description: 'Indie band from Berlin, looking for a drummer.', maxMembers: 5 })
      .returning('id')
      .executeTakeFirstOrThrow()
    await tx.insertInto('bandsy.groupMembers').values({ groupId: band.id, userId: berliners[1], role: 'member' }).execute()
    await tx.insertInto('bandsy.groupInvitations').values({ groupId: band.id, invitedUserId: demo, invitedBy: berliners[0] }).execute()
    await tx
      .insertInto('bandsy.events')
      .values({
        groupId: band.id,
        title: 'Open rehearsal night',
        venue: 'Lido',
        address: 'Cuvrystraße 7, Berlin',
        latitude: 52.499,
        longitude: 13.446,
        startDate: new Date(now.getTime() + 10 * DAY),
        isPublic: true,
      })
      .execute()
    await sql`select set_config('request.claims', '', true)`.execute(tx)
  })
  return [`Bandsy: ${total} musicians; sign in as ${DEMO_MUSICIAN} (POST /v1/bandsy/auth/otp, code in the dev mailbox)`]
}

interface DemoMusician {
  clerkId: string
  email: string
  username: string
  displayName: string
  bio: string
  age: number
  city: string
  region: string
  lat: number
  lng: number
  lastActiveAt: Date
  instruments: { id: string; skill: (typeof SKILLS)[number]; years: number }[]
  genres: { id: string; preference: number }[]
  lookingFor: string
}

async function insertMusician(tx: Tx, m: DemoMusician): Promise<string> {
  const { id } = await tx
    .insertInto('bandsy.users')
    .values({
      clerkId: m.clerkId,
      email: m.email,
      username: m.username,
      displayName: m.displayName,
      bio: m.bio,
      age: m.age,
      showAge: m.age % 2 === 0,
      city: m.city,
      region: m.region,
      country: 'Germany',
      latitude: m.lat,
      longitude: m.lng,
      lastActiveAt: m.lastActiveAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await tx
    .insertInto('bandsy.userInstruments')
    .values(
      m.instruments.map((i, n) => ({
        userId: id,
        instrumentId: i.id,
        skillLevel: i.skill,
        yearsOfExperience: i.years,
        isPrimary: n === 0,
      })),
    )
    .execute()
  await tx
    .insertInto('bandsy.userGenres')
    .values(m.genres.map((g) => ({ userId: id, genreId: g.id, preference: g.preference })))
    .execute()
  await tx.updateTable('bandsy.userMatchProfiles').set({ lookingFor: m.lookingFor, searchRadius: 50 }).where('userId', '=', id).execute()
  return id
}
