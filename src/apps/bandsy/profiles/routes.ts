// The signed-in musician's profile (/me, /me/instruments, /me/genres, /me/match-profile), other
// musicians' public profiles (/users/:username) and the catalogue (/instruments, /genres).
import { z } from 'zod'
import { type AppContext, errorSchema, locationMoves, recordActivity, BandsySkillLevelValues } from '../../../platform'
import { USERNAME_PATTERN } from '../accounts/usernames'
import { createAccountService } from '../accounts/service'
import { PLANS } from '../plans'
import * as profiles from './service'

const tags = ['profiles']
const SKILLS = BandsySkillLevelValues
const LOOKING_FOR = ['any', 'collaborator', 'band', 'bandmate', 'jam', 'session', 'teacher', 'student'] as const

const nullableText = (max: number) => z.string().trim().max(max).nullable()
const username = z
  .string()
  .regex(USERNAME_PATTERN, 'must be 3-50 lower-case letters, digits, "-" or "_", starting and ending with a letter or digit')

const instrumentSchema = z.object({
  instrumentId: z.uuid(),
  name: z.string(),
  category: z.string().nullable(),
  skillLevel: z.enum(SKILLS),
  yearsOfExperience: z.number().int().nullable(),
  isPrimary: z.boolean(),
})
const genreSchema = z.object({ genreId: z.uuid(), name: z.string(), parentGenreId: z.uuid().nullable(), preference: z.number().int() })

const matchProfileSchema = z
  .object({
    searchRadius: z.number().int().describe('km'),
    ageRangeMin: z.number().int().nullable(),
    ageRangeMax: z.number().int().nullable(),
    lookingFor: z.string(),
    skillLevelAverage: z.number().nullable().describe('1 beginner .. 4 professional, kept from your instruments'),
    activityScore: z.number().int(),
    isActive: z.boolean().describe('false: you do not appear in discovery'),
    lastActive: z.date(),
    profileComplete: z.boolean(),
    locationLat: z.number().nullable(),
    locationLng: z.number().nullable(),
    city: z.string().nullable(),
    region: z.string().nullable(),
    country: z.string().nullable(),
    updatedAt: z.date(),
  })
  .meta({ id: 'BandsyMatchProfile' })

const meSchema = z
  .object({
    id: z.uuid(),
    email: z.string().nullable(),
    username: z.string(),
    displayName: z.string(),
    bio: z.string().nullable(),
    age: z.number().int().nullable(),
    showAge: z.boolean(),
    city: z.string().nullable(),
    region: z.string().nullable(),
    country: z.string().nullable(),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
    profileImageUrl: z.string().nullable(),
    isActive: z.boolean(),
    lastActiveAt: z.date().nullable(),
    createdAt: z.date(),
    updatedAt: z.date(),
    instruments: z.array(instrumentSchema),
    genres: z.array(genreSchema),
    matchProfile: matchProfileSchema,
    plan: z.enum(PLANS),
    missingForMatching: z.array(z.enum(['location', 'instrument', 'genre'])).describe('What discovery still needs from you'),
  })
  .meta({ id: 'BandsyOwnProfile' })

const publicProfileSchema = z
  .object({
    id: z.uuid(),
    username: z.string(),
    displayName: z.string(),
    bio: z.string().nullable(),
    age: z.number().int().nullable().describe('Only when the musician shows it'),
    city: z.string().nullable(),
    region: z.string().nullable(),
    country: z.string().nullable(),
    profileImageUrl: z.string().nullable(),
    lastActiveAt: z.date().nullable(),
    instruments: z.array(instrumentSchema),
    genres: z.array(genreSchema),
  })
  .meta({ id: 'BandsyPublicProfile' })

const profilePatch = z
  .object({
    username,
    displayName: z.string().trim().min(1).max(100),
    bio: nullableText(5000),
    age: z.number().int().min(13).max(120).nullable(),
    showAge: z.boolean(),
    city: nullableText(100),
    region: nullableText(100),
    country: nullableText(100),
    latitude: z.number().min(-90).max(90).nullable(),
    longitude: z.number().min(-180).max(180).nullable(),
    profileImageUrl: z.url().max(500).nullable(),
  })
  .partial()
  .strict()
  .refine((p) => (p.latitude === undefined) === (p.longitude === undefined), {
    message: 'latitude and longitude go together',
    path: ['latitude'],
  })
  .refine((p) => (p.latitude === null) === (p.longitude === null), {
    message: 'latitude and longitude are cleared together',
    path: ['latitude'],
  })

export async function profileRoutes({ http, platform, guard }: AppContext) {
  const asMusician = guard(['musician'])
  const accounts = createAccountService(platform)
  const moves = locationMoves(platform, 'bandsy')
  const own = { preHandler: asMusician }

  http.get(
    '/me',
    {
      ...own,
      schema: { tags, summary: 'Your profile, instruments, genres, match profile and plan', response: { 200: meSchema, 404: errorSchema } },
    },
    async (req) => profiles.getMe(platform, req.claims),
  )

  http.patch(
    '/me',
    {
      ...own,
      schema: {
        tags,
        summary: 'Change your profile',
        description:
          'Location (latitude with longitude) is what discovery measures distance from; others never see it, only the distance ' +
          'in whole kilometres. Moving to a new point counts against a daily allowance (LOCATION_CHANGES_PER_DAY, default 5): ' +
          'past it, 429 with retryAfterSeconds.',
        body: profilePatch,
        response: {
          200: meSchema,
          404: errorSchema,
          409: errorSchema.describe('Username taken'),
          429: errorSchema.describe('Location changed too often today'),
        },
      },
    },
    async (req) => profiles.updateMe(platform, req.claims, req.body, moves),
  )

  http.delete(
    '/me',
    {
      ...own,
      schema: {
        tags,
        summary: 'Delete your account',
        description: 'Soft delete: you vanish from discovery, matches, groups and profiles at once, and every session ends.',
        response: { 204: z.null(), 404: errorSchema },
      },
    },
    async (req, reply) => {
      await profiles.deleteMe(platform, req.claims, accounts.endAllSessions)
      recordActivity(req, 'account_delete', req.claims.sub)
      return reply.code(204).send(null)
    },
  )

  http.put(
    '/me/instruments',
    {
      ...own,
      schema: {
        tags,
        summary: 'Set the instruments you play',
        description: 'Replaces the list. One may be primary; with none marked the first is.',
        body: z.object({
          instruments: z
            .array(
              z.object({
                instrumentId: z.uuid(),
                skillLevel: z.enum(SKILLS),
                yearsOfExperience: z.number().int().min(0).max(100).nullable().optional(),
                isPrimary: z.boolean().optional(),
              }),
            )
            .max(20),
        }),
        response: { 200: meSchema, 404: errorSchema },
      },
    },
    async (req) => profiles.replaceInstruments(platform, req.claims, req.body.instruments),
  )

  http.put(
    '/me/genres',
    {
      ...own,
      schema: {
        tags,
        summary: 'Set the genres you like',
        description: 'Replaces the list; preference 1 (a little) to 5 (most) weighs each genre in matching.',
        body: z.object({
          genres: z.array(z.object({ genreId: z.uuid(), preference: z.number().int().min(1).max(5).optional() })).max(30),
        }),
        response: { 200: meSchema, 404: errorSchema },
      },
    },
    async (req) => profiles.replaceGenres(platform, req.claims, req.body.genres),
  )

  http.get(
    '/me/match-profile',
    {
      ...own,
      schema: {
        tags,
        summary: 'Your discovery preferences and derived match data',
        response: { 200: matchProfileSchema, 404: errorSchema },
      },
    },
    async (req) => (await profiles.getMe(platform, req.claims)).matchProfile,
  )

  http.patch(
    '/me/match-profile',
    {
      ...own,
      schema: {
        tags,
        summary: 'Change your discovery preferences',
        description: 'The search radius is capped by your plan (GET /plans); asking for more answers 402 naming the plan that allows it.',
        body: z
          .object({
            searchRadius: z.number().int().min(1).max(1000),
            ageRangeMin: z.number().int().min(13).max(120).nullable(),
            ageRangeMax: z.number().int().min(13).max(120).nullable(),
            lookingFor: z.enum(LOOKING_FOR),
            isActive: z.boolean(),
          })
          .partial()
          .strict(),
        response: { 200: matchProfileSchema, 404: errorSchema, 402: errorSchema.describe('Radius above your plan') },
      },
    },
    async (req) => profiles.updateMatchProfile(platform, req.claims, req.body),
  )

  http.get(
    '/users/:username',
    {
      ...own,
      schema: {
        tags,
        summary: "A musician's public profile",
        params: z.object({ username: z.string().min(1).max(50) }),
        response: { 200: publicProfileSchema, 404: errorSchema },
      },
    },
    async (req) => profiles.getPublicProfile(platform, req.claims, req.params.username),
  )

  http.get(
    '/catalogue',
    {
      ...own,
      schema: {
        tags,
        summary: 'Instruments (with families) and the genre tree',
        response: {
          200: z.object({
            instruments: z.array(z.object({ id: z.uuid(), name: z.string(), category: z.string().nullable() })),
            genres: z.array(z.object({ id: z.uuid(), name: z.string(), parentGenreId: z.uuid().nullable() })),
          }),
          404: errorSchema,
        },
      },
    },
    async (req) => profiles.catalogue(platform, req.claims),
  )
}
