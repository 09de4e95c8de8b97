// SQL for musicians' profiles. Every function takes the caller's transaction: under withUser,
// row-level security decides what is visible (soft-deleted users are not) and what is writable
// (only one's own rows).
import { sql } from 'kysely'
import { jsonArrayFrom } from 'kysely/helpers/postgres'
import type { Tx, BandsySkillLevel } from '../../../platform'

export type Skill = BandsySkillLevel

export type UserRow = NonNullable<Awaited<ReturnType<typeof findUser>>>

export type InstrumentOfUser = Awaited<ReturnType<typeof instrumentsOf>>[number]
export type GenreOfUser = Awaited<ReturnType<typeof genresOf>>[number]

export type MatchProfileRow = NonNullable<Awaited<ReturnType<typeof matchProfileOf>>>

const USER_COLUMNS = [
  'id',
  'email',
  'username',
  'displayName',
  'bio',
  'age',
  'showAge',
  'city',
  'region',
  'country',
  'latitude',
  'longitude',
  'profileImageUrl',
  'isActive',
  'lastActiveAt',
  'createdAt',
  'updatedAt',
] as const

export const findUser = (tx: Tx, id: string) =>
  tx.selectFrom('bandsy.users').select(USER_COLUMNS).where('id', '=', id).where('deletedAt', 'is', null).executeTakeFirst()

/**
 * Another musician's profile with their instruments and genres, and whether either blocked the
 * other, in one statement: a profile read is one round trip (docs/decisions/0022-one-round-trip.md).
 */
export const findProfileByUsername = (tx: Tx, username: string) =>
  tx
    .selectFrom('bandsy.users as u')
    .select(USER_COLUMNS.map((c) => `u.${c}` as const))
    .select((eb) => [
      sql<boolean>`exists (select 1 from bandsy.blocked_by_or_blocking_me() b where b = u.id)`.as('blocked'),
      jsonArrayFrom(
        eb
          .selectFrom('bandsy.userInstruments as ui')
          .innerJoin('bandsy.instruments as i', 'i.id', 'ui.instrumentId')
          .select(INSTRUMENT_COLUMNS)
          .whereRef('ui.userId', '=', 'u.id')
          .orderBy('ui.isPrimary', 'desc')
          .orderBy('i.name'),
      ).as('instruments'),
      jsonArrayFrom(
        eb
          .selectFrom('bandsy.userGenres as ug')
          .innerJoin('bandsy.genres as g', 'g.id', 'ug.genreId')
          .select(GENRE_COLUMNS)
          .whereRef('ug.userId', '=', 'u.id')
          .orderBy('ug.preference', 'desc')
          .orderBy('g.name'),
      ).as('genres'),
    ])
    .where('u.username', '=', username)
    .where('u.deletedAt', 'is', null)
    .executeTakeFirst()

export async function updateUser(tx: Tx, id: string, values: Partial<Omit<UserRow, 'id' | 'email' | 'createdAt' | 'updatedAt'>>) {
  if (Object.keys(values).length === 0) return
  await tx.updateTable('bandsy.users').set(values).where('id', '=', id).execute()
}

export async function softDelete(tx: Tx, id: string, now: Date) {
  await tx.updateTable('bandsy.users').set({ deletedAt: now, isActive: false }).where('id', '=', id).execute()
}

const INSTRUMENT_COLUMNS = ['ui.instrumentId', 'i.name', 'i.category', 'ui.skillLevel', 'ui.yearsOfExperience', 'ui.isPrimary'] as const
const GENRE_COLUMNS = ['ug.genreId', 'g.name', 'g.parentGenreId', 'ug.preference'] as const

export const instrumentsOf = (tx: Tx, userId: string) =>
  tx
    .selectFrom('bandsy.userInstruments as ui')
    .innerJoin('bandsy.instruments as i', 'i.id', 'ui.instrumentId')
    .select(INSTRUMENT_COLUMNS)
    .where('ui.userId', '=', userId)
    .orderBy('ui.isPrimary', 'desc')
    .orderBy('i.name')
    .execute()

export const genresOf = (tx: Tx, userId: string) =>
  tx
    .selectFrom('bandsy.userGenres as ug')
    .innerJoin('bandsy.genres as g', 'g.id', 'ug.genreId')
    .select(GENRE_COLUMNS)
    .where('ug.userId', '=', userId)
    .orderBy('ug.preference', 'desc')
    .orderBy('g.name')
    .execute()

export async function replaceInstruments(
  tx: Tx,
  userId: string,
  rows: { instrumentId: string; skillLevel: Skill; yearsOfExperience: number | null; isPrimary: boolean }[],
) {
  await tx.deleteFrom('bandsy.userInstruments').where('userId', '=', userId).execute()
  if (rows.length)
    await tx
      .insertInto('bandsy.userInstruments')
      .values(rows.map((r) => ({ userId, ...r })))
      .execute()
}

export async function replaceGenres(tx: Tx, userId: string, rows: { genreId: string; preference: number }[]) {
  await tx.deleteFrom('bandsy.userGenres').where('userId', '=', userId).execute()
  if (rows.length)
    await tx
      .insertInto('bandsy.userGenres')
      .values(rows.map((r) => ({ userId, ...r })))
      .execute()
}

export const matchProfileOf = (tx: Tx, userId: string) =>
  tx
    .selectFrom('bandsy.userMatchProfiles')
    .select([
      'searchRadius',
      'ageRangeMin',
      'ageRangeMax',
      'lookingFor',
      'skillLevelAverage',
      'activityScore',
      'isActive',
      'lastActive',
      'profileComplete',
      'locationLat',
      'locationLng',
      'city',
      'region',
      'country',
      'updatedAt',
    ])
    .where('userId', '=', userId)
    .executeTakeFirst()

export async function updateMatchProfile(
  tx: Tx,
  userId: string,
  values: Partial<Pick<MatchProfileRow, 'searchRadius' | 'ageRangeMin' | 'ageRangeMax' | 'lookingFor' | 'isActive'>>,
) {
  if (Object.keys(values).length === 0) return
  await tx.updateTable('bandsy.userMatchProfiles').set(values).where('userId', '=', userId).execute()
}

export const listInstruments = (tx: Tx) =>
  tx.selectFrom('bandsy.instruments').select(['id', 'name', 'category']).orderBy('category').orderBy('name').execute()

export const listGenres = (tx: Tx) => tx.selectFrom('bandsy.genres').select(['id', 'name', 'parentGenreId']).orderBy('name').execute()
