import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Test files in one worker share their imported modules instead of loading the platform and
    // the apps again for each of ~125 files: the PGlite pass (`npm test`) spent 266 s of its
    // workers' time collecting with isolation, 48 s without (docs/reliability.md). Each file still
    // makes its own database and platform; no test may rely on a module mock (vi.mock) or on
    // module state left by another file. The server passes keep isolation until a run proves them.
    isolate: !!process.env.TEST_DATABASE_URL,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file gets its own database, so files run in parallel (the machines have two cores).
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
  },
})
