// The checked-in DB interface must match the migrations, so a schema change shows in review and
// the queries are type-checked against the tables as they are. After adding a migration:
// npm run db:types
import fs from 'node:fs'
import { describe, expect, inject, it } from 'vitest'
import { DB_TYPES_PATH, dbSchemas, dbTypes } from '../scripts/db-types'
import { ALL_APPS } from '../src/apps'

describe('generated database types', () => {
  it(`${DB_TYPES_PATH} is up to date (run: npm run db:types)`, async () => {
    // On PGlite the run's migrated template is at hand; otherwise migrate a fresh PGlite.
    const dump = inject('pgliteDump')
    const current = await dbTypes(dump ? new Blob([fs.readFileSync(dump)]) : undefined)
    const stored = fs.existsSync(DB_TYPES_PATH) ? fs.readFileSync(DB_TYPES_PATH, 'utf8') : ''
    expect(stored, `${DB_TYPES_PATH} is stale: run npm run db:types`).toBe(current)
  })

  it('covers the platform schema and every registered app', () => {
    const stored = fs.readFileSync(DB_TYPES_PATH, 'utf8')
    expect(dbSchemas()).toEqual(['platform', ...ALL_APPS.map((a) => a.name)].sort())
    for (const schema of dbSchemas()) expect(stored, schema).toMatch(new RegExp(`^  "${schema}\\.\\w+": `, 'm'))
  })
})
