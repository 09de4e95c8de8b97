// The API process of bench/load-soak.ts: the real server (createPlatform + buildHttp) on
// 127.0.0.1 and a free port, over DATABASE_URL or in-memory PGlite, with the demo data loaded.
// It tells its parent the port over IPC and answers memory questions (after a full GC).
import fs from 'node:fs'
import inspector from 'node:inspector'
import { loadConfig } from '../src/platform/config'
import { createPlatform } from '../src/platform/platform'
import { buildHttp } from '../src/platform/http/server'
import { migrateUp } from '../src/platform/migrate/migrator'
import { migrationSources, selectApps } from '../src/server'

const send = (m: unknown) => process.send!(m)
const profiler = new inspector.Session()
const post = (method: string) =>
  new Promise<unknown>((resolve, reject) => profiler.post(method, (err, res) => (err ? reject(err) : resolve(res))))

async function main() {
  // A benchmark is development: it signs in through the dev mailbox.
  const config = loadConfig({ NODE_ENV: 'development', ...process.env, JOBS_ENABLED: 'false' })
  const apps = selectApps(config)
  const platform = await createPlatform(config, config.DATABASE_URL ? {} : { dbOptions: { dataDir: 'memory://' } })
  await migrateUp(platform.db.kysely, migrationSources(apps))
  for (const app of apps) if (app.seed && !(await app.isSeeded?.(platform))) await app.seed(platform)
  const http = await buildHttp(platform, apps, { docs: false })
  await http.listen({ host: '127.0.0.1', port: 0 })
  const address = http.server.address()
  process.on('message', async (m: { type: string }) => {
    if (m.type === 'memory') {
      global.gc?.()
      const { rss, heapUsed, heapTotal } = process.memoryUsage()
      send({ type: 'memory', rss, heapUsed, heapTotal })
    }
    // A CPU profile of what happens between the two messages (bench/profile-read.ts), written to
    // CPU_PROFILE_FILE: only the measured load, not start-up and seeding.
    if (m.type === 'profile-start') {
      profiler.connect()
      await post('Profiler.enable')
      await post('Profiler.start')
      send({ type: 'profile-start' })
    }
    if (m.type === 'profile-stop') {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown }
      fs.writeFileSync(process.env.CPU_PROFILE_FILE ?? 'api.cpuprofile', JSON.stringify(profile))
      profiler.disconnect()
      send({ type: 'profile-stop' })
    }
    if (m.type === 'stop') {
      await http.close()
      await platform.close()
      process.exit(0)
    }
  })
  send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0, driver: platform.db.driver })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
