// A musician's own profile (details, instruments, genres, match preferences), public profiles,
// and the instrument and genre catalogue. The match profile's derived columns (cached location,
// skill average, completeness, activity) are kept by triggers; only preferences are written here.
import { withUser, withUserRead, type Claims, AppError, notFound, type LocationMoves, type Platform, type Tx } from '../../../platform'
import { cheapestPlanWhere, planOf, PLAN_FEATURES } from '../plans'
import * as repo from './repository'
import { missingIds } from '../lookup-ids'

export type ProfilePatch = Partial<{
  username: string
  displayName: string
  bio: string | null
  age: number | null
  showAge: boolean
  city: string | null
  region: string | null
  country: string | null
  latitude: number | null
  longitude: number | null
  profileImageUrl: string | null
}>

export interface InstrumentInput {
  instrumentId: string
  skillLevel: repo.Skill
  yearsOfExperience?: number | null
  isPrimary?: boolean
}

export type MatchProfilePatch = Partial<{
  searchRadius: number
  ageRangeMin: number | null
  ageRangeMax: number | null
  lookingFor: string
  isActive: boolean
}>

/** Seed: "Users must have at least one instrument and genre; location is required for matching". */
export type MatchingNeed = 'location' | 'instrument' | 'genre'

export function missingForMatching(user: Pick<repo.UserRow, 'latitude'>, instruments: unknown[], genres: unknown[]): MatchingNeed[] {
  const missing: MatchingNeed[] = []
  if (user.latitude === null) missing.push('location')
  if (instruments.length === 0) missing.push('instrument')
  if (genres.length === 0) missing.push('genre')
  return missing
}

async function ownProfile(platform: Platform, tx: Tx, userId: string) {
  const user = await repo.findUser(tx, userId)
  if (!user) throw notFound('Musician')
  const [instruments, genres, matchProfile, plan] = await Promise.all([
    repo.instrumentsOf(tx, userId),
    repo.genresOf(tx, userId),
    repo.matchProfileOf(tx, userId),
    planOf(tx, userId, platform.clock.now()),
  ])
  if (!matchProfile) throw notFound('Match profile')
  return {
    ...user,
    showAge: !!user.showAge,
    isActive: user.isActive !== false,
    instruments,
    genres,
    matchProfile,
    plan,
    missingForMatching: missingForMatching(user, instruments, genres),
  }
}

export type OwnProfile = Awaited<ReturnType<typeof ownProfile>>

export function getMe(platform: Platform, claims: Claims) {
  return withUserRead(platform, claims, (tx) => ownProfile(platform, tx, claims.sub))
}

/** Coordinates are stored with 8 decimals (numeric(10, 8)): the same point is the same after that rounding. */
const samePlace = (stored: number | null, given: number) => stored !== null && Number(stored) === Number(given.toFixed(8))

export async function updateMe(platform: Platform, claims: Claims, patch: ProfilePatch, moves: LocationMoves) {
  try {
    return await withUser(platform.db.kysely, claims, async (tx) => {
      if (patch.latitude != null && patch.longitude != null) {
        // A move to a new point counts against the daily allowance (platform geo: no trilateration).
        const current = await repo.findUser(tx, claims.sub)
        if (current && !(samePlace(current.latitude, patch.latitude) && samePlace(current.longitude, patch.longitude)))
          await moves.count(claims.sub)
      }
      await repo.updateUser(tx, claims.sub, patch)
      return ownProfile(platform, tx, claims.sub)
    })
  } catch (err) {
    if ((err as { constraint?: string }).constraint === 'users_username_key')
      throw new AppError('conflict', `The username ${patch.username} is taken`, { field: 'username' })
    throw err
  }
}

export function replaceInstruments(platform: Platform, claims: Claims, items: InstrumentInput[]) {
  const ids = items.map((i) => i.instrumentId)
  if (new Set(ids).size !== ids.length) throw new AppError('validation_failed', 'body.instruments: each instrument may appear once')
  const primaries = items.filter((i) => i.isPrimary).length
  if (primaries > 1) throw new AppError('validation_failed', 'body.instruments: only one instrument can be primary')
  return withUser(platform.db.kysely, claims, async (tx) => {
    const missing = await missingIds(tx, 'bandsy.instruments', ids)
    if (missing.length) throw notFound('Instrument', { instrumentIds: missing })
    // With none marked, the first listed is the primary one.
    await repo.replaceInstruments(
      tx,
      claims.sub,
      items.map((i, n) => ({
        instrumentId: i.instrumentId,
        skillLevel: i.skillLevel,
        yearsOfExperience: i.yearsOfExperience ?? null,
        isPrimary: primaries ? !!i.isPrimary : n === 0,
      })),
    )
    return ownProfile(platform, tx, claims.sub)
  })
}

export function replaceGenres(platform: Platform, claims: Claims, items: { genreId: string; preference?: number }[]) {
  const ids = items.map((g) => g.genreId)
  if (new Set(ids).size !== ids.length) throw new AppError('validation_failed', 'body.genres: each genre may appear once')
  return withUser(platform.db.kysely, claims, async (tx) => {
    const missing = await missingIds(tx, 'bandsy.genres', ids)
    if (missing.length) throw notFound('Genre', { genreIds: missing })
    await repo.replaceGenres(
      tx,
      claims.sub,
      items.map((g) => ({ genreId: g.genreId, preference: g.preference ?? 1 })),
    )
    return ownProfile(platform, tx, claims.sub)
  })
}

export function updateMatchProfile(platform: Platform, claims: Claims, patch: MatchProfilePatch) {
  return withUser(platform.db.kysely, claims, async (tx) => {
    const current = await repo.matchProfileOf(tx, claims.sub)
    if (!current) throw notFound('Match profile')
    if (patch.searchRadius !== undefined) {
      const plan = await planOf(tx, claims.sub, platform.clock.now())
      const max = PLAN_FEATURES[plan].maxSearchRadiusKm
      if (patch.searchRadius > max)
        throw new AppError('payment_required', `Your ${plan} plan searches up to ${max} km; a larger radius needs a higher plan`, {
          field: 'searchRadius',
          plan,
          maxSearchRadiusKm: max,
          upgradeTo: cheapestPlanWhere((f) => f.maxSearchRadiusKm >= patch.searchRadius!),
        })
    }
    const min = patch.ageRangeMin !== undefined ? patch.ageRangeMin : current.ageRangeMin
    const maxAge = patch.ageRangeMax !== undefined ? patch.ageRangeMax : current.ageRangeMax
    if (min !== null && maxAge !== null && min > maxAge)
      throw new AppError('validation_failed', `body.ageRangeMin: ${min} is above ageRangeMax ${maxAge}`, { field: 'ageRangeMin' })
    await repo.updateMatchProfile(tx, claims.sub, patch)
    return (await repo.matchProfileOf(tx, claims.sub))!
  })
}

/** Soft delete: the musician disappears everywhere at once; their sessions end. */
export async function deleteMe(platform: Platform, claims: Claims, endSessions: (tx: Tx, userId: string) => Promise<unknown>) {
  await withUser(platform.db.kysely, claims, async (tx) => {
    if (!(await repo.findUser(tx, claims.sub))) throw notFound('Musician')
    await repo.softDelete(tx, claims.sub, platform.clock.now())
  })
  await platform.db.kysely.transaction().execute((tx) => endSessions(tx, claims.sub))
}

/** Another musician's public profile: no email, no coordinates, age only when they show it. */
export function getPublicProfile(platform: Platform, claims: Claims, username: string) {
  return withUserRead(platform, claims, async (tx) => {
    const user = await repo.findProfileByUsername(tx, username)
    // Blocked either way looks the same as not there.
    if (!user || (user.id !== claims.sub && user.blocked)) throw notFound('Musician', { username })
    return {
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      bio: user.bio,
      age: user.showAge ? user.age : null,
      city: user.city,
      region: user.region,
      country: user.country,
      profileImageUrl: user.profileImageUrl,
      lastActiveAt: user.lastActiveAt,
      instruments: user.instruments,
      genres: user.genres,
    }
  })
}

export function catalogue(platform: Platform, claims: Claims) {
  return withUserRead(platform, claims, async (tx) => {
    const [instruments, genres] = await Promise.all([repo.listInstruments(tx), repo.listGenres(tx)])
    return { instruments, genres }
  })
}
