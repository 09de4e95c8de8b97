// The skeleton's own table types, generated like the platform's (scripts/db-types.ts) but for its
// schema only, since a test-only app is not in src/platform/db/schema.generated.ts. Write them with
// `npx tsx test/support/skeleton-app/db-types.ts`; test/skeleton-app.test.ts fails while stale.
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generate, PostgresDialect } from 'kysely-codegen'
import { testConfig } from '../../../src/platform/config'
import { openDatabase } from '../../../src/platform/db/database'
import { migrateUp } from '../../../src/platform/migrate/migrator'
import { migrationSources } from '../../../src/server'
import { skeleton } from '.'

export const SKELETON_TYPES_PATH = fileURLToPath(new URL('./schema.generated.ts', import.meta.url))

export async function skeletonTypes(): Promise<string> {
  const db = await openDatabase(testConfig(), { dataDir: 'memory://' })
  try {
    await migrateUp(db.kysely, migrationSources([skeleton]))
    return await generate({
      db: db.kysely.withoutPlugins(),
      dialect: new PostgresDialect({ defaultSchemas: ['public'], numericParser: 'number' }),
      defaultSchemas: ['public'],
      camelCase: true,
      typeMapping: { int8: 'number' },
      includePattern: 'skeleton.*',
      outFile: null,
      typeOnlyImports: true,
    })
  } finally {
    await db.close()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) fs.writeFileSync(SKELETON_TYPES_PATH, await skeletonTypes())
