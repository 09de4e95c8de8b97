// Generates src/platform/db/schema.generated.ts, the `DB` interface Kysely is typed with, from a
// database migrated in memory (PGlite): no Postgres server is needed, and the same migrations
// always give the same file. Run `npm run db:types` after adding a migration;
// test/db-types.test.ts fails while the checked-in file is stale.
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sql, type Kysely } from 'kysely'
import { generate, PostgresDialect } from 'kysely-codegen'
import { testConfig } from '../src/platform/config'
import { openDatabase } from '../src/platform/db/database'
import { migrateUp } from '../src/platform/migrate/migrator'
import { migrationSources } from '../src/server'
import { ALL_APPS } from '../src/apps'

export const DB_TYPES_PATH = 'src/platform/db/schema.generated.ts'

/** The schemas Matchbase owns: the platform's and one per registered app. */
export const dbSchemas = (): string[] => ['platform', ...ALL_APPS.map((a) => a.name)].sort()

/** migrated: a PGlite dump of the migrated database (the test suite's template), to skip migrating. */
export async function dbTypes(migrated?: Blob): Promise<string> {
  const db = await openDatabase(testConfig(), { dataDir: 'memory://', loadDataDir: migrated })
  try {
    if (!migrated) await migrateUp(db.kysely, migrationSources(ALL_APPS))
    // The introspection queries name catalog columns in snake_case: no CamelCasePlugin here.
    const raw = db.kysely.withoutPlugins()
    const schemas = dbSchemas()
    const types = await generate({
      db: raw,
      // No Matchbase table lives in public, so every table is keyed `schema.table` as queries name it.
      dialect: new PostgresDialect({ defaultSchemas: ['public'], numericParser: 'number' }),
      defaultSchemas: ['public'],
      // Column and table names as CamelCasePlugin shows them to TypeScript.
      camelCase: true,
      // src/platform/db/database.ts parses bigint (int8) and numeric as JS numbers.
      typeMapping: { int8: 'number' },
      includePattern: `{${schemas.join(',')}}.*`,
      outFile: null,
      typeOnlyImports: true,
    })
    return types + (await enumValues(raw, schemas))
  } finally {
    await db.close()
  }
}

// zod schemas need the labels of each Postgres enum at run time; the generated union types are
// erased. One readonly array per enum, in the enum's declared order.
async function enumValues(db: Kysely<any>, schemas: string[]): Promise<string> {
  const { rows } = await sql<{ schema: string; name: string; labels: string[] }>`
    select n.nspname as schema, t.typname as name, array_agg(e.enumlabel::text order by e.enumsortorder) as labels
    from pg_type t join pg_enum e on e.enumtypid = t.oid join pg_namespace n on n.oid = t.typnamespace
    where n.nspname in (${sql.join(schemas)})
    group by n.nspname, t.typname
    order by n.nspname, t.typname`.execute(db)
  const out = rows.map((r) => {
    const type = pascal(`${r.schema}_${r.name}`)
    return `export const ${type}Values = [${r.labels.map((l) => JSON.stringify(l)).join(', ')}] as const satisfies readonly ${type}[];\n`
  })
  return out.length ? `\n${out.join('\n')}` : ''
}

const pascal = (s: string) => s.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())

async function main() {
  const check = process.argv.includes('--check')
  const current = await dbTypes()
  const stored = fs.existsSync(DB_TYPES_PATH) ? fs.readFileSync(DB_TYPES_PATH, 'utf8') : ''
  if (check) {
    if (stored !== current) {
      console.error(`${DB_TYPES_PATH} is stale: run npm run db:types`)
      process.exit(1)
    }
    return
  }
  if (stored !== current) fs.writeFileSync(DB_TYPES_PATH, current)
  console.log(`${DB_TYPES_PATH}: ${stored === current ? 'up to date' : 'written'}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
