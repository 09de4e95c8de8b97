// Instruments and genres are lookup tables that profiles, groups and media samples all point
// into; a request naming an id that is not there is answered 404 with the ids it got wrong.
import type { Tx } from '../../platform'

/** Ids among `ids` that do not exist in the lookup table. */
export async function missingIds(tx: Tx, table: 'bandsy.instruments' | 'bandsy.genres', ids: string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const found = await tx.selectFrom(table).select('id').where('id', 'in', ids).execute()
  const have = new Set(found.map((r) => r.id))
  return ids.filter((id) => !have.has(id))
}
