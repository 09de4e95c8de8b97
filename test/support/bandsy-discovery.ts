// Places for discovery tests: each test gets its own spot far from the others, so radius
// filters keep the tests' musicians apart in one database.
import type { Musician } from './bandsy'
import { BANDSY, bearer } from './bandsy'
import type { TestEnv } from './test-env'

let area = 0

/** A fresh spot on land-free latitudes nobody else uses (about 300 km apart). */
export function aPlace(): { lat: number; lng: number } {
  area++
  return { lat: -40 + (area % 20) * 3, lng: -150 + Math.floor(area / 20) * 5 }
}

/** `north` and `east` km from a point, on earthdistance's sphere. */
export function offset(p: { lat: number; lng: number }, north: number, east: number) {
  const km = 6378.168 * (Math.PI / 180)
  return { lat: p.lat + north / km, lng: p.lng + east / (km * Math.cos((p.lat * Math.PI) / 180)) }
}

export const discovery = (env: TestEnv, m: Musician, query = '') =>
  env.http.inject({ method: 'GET', url: `${BANDSY}/discovery${query}`, headers: bearer(m) })
