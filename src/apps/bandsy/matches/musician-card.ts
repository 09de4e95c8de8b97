// The public card of another musician, as matches and "who liked you" show it: what their public
// profile shows, never their coordinates, their email or a hidden age.
import { sql, type RawBuilder } from 'kysely'
import { z } from 'zod'

export const musicianCardSchema = z
  .object({
    id: z.uuid(),
    username: z.string(),
    displayName: z.string(),
    bio: z.string().nullable(),
    age: z.number().int().nullable().describe('null unless the musician shows their age'),
    city: z.string().nullable(),
    region: z.string().nullable(),
    country: z.string().nullable(),
    profileImageUrl: z.string().nullable(),
    instruments: z.array(z.object({ name: z.string(), skillLevel: z.string(), isPrimary: z.boolean() })),
    genres: z.array(z.string()).describe('Genre names, most preferred first'),
  })
  .meta({ id: 'BandsyMusicianCard' })

export type MusicianCard = z.infer<typeof musicianCardSchema>

/** The card of the bandsy.users row aliased `alias` (a name from our own SQL, never input), as json. */
export function musicianCard(alias: string): RawBuilder<MusicianCard> {
  const u = sql.raw(alias)
  return sql<MusicianCard>`json_build_object(
    'id', ${u}.id, 'username', ${u}.username, 'displayName', ${u}.display_name, 'bio', ${u}.bio,
    'age', case when ${u}.show_age then ${u}.age end,
    'city', ${u}.city, 'region', ${u}.region, 'country', ${u}.country, 'profileImageUrl', ${u}.profile_image_url,
    'instruments', (select coalesce(json_agg(json_build_object('name', i.name, 'skillLevel', ui.skill_level, 'isPrimary', ui.is_primary)
                                             order by ui.is_primary desc, i.name), '[]'::json)
                      from bandsy.user_instruments ui join bandsy.instruments i on i.id = ui.instrument_id
                     where ui.user_id = ${u}.id),
    'genres', (select coalesce(json_agg(g.name order by ug.preference desc, g.name), '[]'::json)
                 from bandsy.user_genres ug join bandsy.genres g on g.id = ug.genre_id
                where ug.user_id = ${u}.id))`
}
