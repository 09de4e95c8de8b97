// Migration numbers run 1, 2, 3, ... per app. A hole invites a late file to fill it, and the runner
// would then apply that file last on an existing database but in number order on a fresh one.
import { describe, expect, it } from 'vitest'
import { numberingGaps, readMigrations, type Migration } from './migrator'
import { migrationSources } from '../../server'
import { ALL_APPS } from '../../apps'

/**
 * Gaps already committed. An applied migration is recorded by number and cannot be renamed, so
 * these stay; nothing may ever be numbered into them (the migrator refuses it on any database that
 * applied the later file). Do not add to this list: number a new file after the app's last one.
 */
const HISTORICAL_GAPS: Record<string, number[]> = {
  // 0008_subscription_purchases was numbered past a 0007 that was never committed.
  bandsy: [7],
}
const fake = (app: string, ...versions: number[]): Migration[] =>
  versions.map((v) => ({ app, version: String(v).padStart(4, '0'), name: `m${v}`, up: '', down: '', checksum: '' }))

describe('migration numbering', () => {
  it('has no gap in any app beyond the historical ones, and every listed gap is still one', () => {
    // readMigrations throws on a duplicate number, so this also proves there is none.
    const migrations = readMigrations(migrationSources(ALL_APPS))
    expect(new Set(migrations.map((m) => m.app))).toEqual(new Set(['platform', ...ALL_APPS.map((a) => a.name)]))
    expect(numberingGaps(migrations)).toEqual(HISTORICAL_GAPS)
  })

  it('finds a gap at the start, in the middle and several in a row, per app', () => {
    expect(numberingGaps([...fake('a', 2, 3), ...fake('b', 1, 2, 5, 7), ...fake('c', 1, 2)])).toEqual({ a: [1], b: [3, 4, 6] })
  })
})
