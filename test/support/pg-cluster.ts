// A throwaway Postgres cluster of the suite's own (initdb + pg_ctl) on a free port, for tests that
// must crash and restart the database server; never the machine's shared server.
// Postgres refuses to run as root, so when the tests run as root (CI) every server command runs as
// the `postgres` OS user through runuser, and the temp folder is handed to that user.
import { execFile as execFileCb, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const execFile = promisify(execFileCb)
const SERVER_USER = 'postgres'

/** The directory holding initdb, pg_ctl and postgres, or undefined. */
export function postgresBinDir(): string | undefined {
  const candidates: string[] = []
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())
  } catch {
    // pg_config is not on PATH; try the Debian/Ubuntu layout below.
  }
  candidates.push('/usr/lib/postgresql/15/bin')
  return candidates.find((dir) => ['initdb', 'pg_ctl', 'postgres'].every((b) => fs.existsSync(path.join(dir, b))))
}

function uidOf(user: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())
    return { uid, gid }
  } catch {
    return undefined
  }
}

const isRoot = () => process.getuid?.() === 0

/** Why a private cluster cannot be started here, or undefined when it can. */
export function clusterUnavailableReason(): string | undefined {
  if (process.platform === 'win32') return 'a private Postgres cluster needs a Unix-like system'
  if (!postgresBinDir())
    return 'the Postgres server binaries (initdb, pg_ctl) were not found via `pg_config --bindir` or /usr/lib/postgresql/15/bin'
  if (isRoot() && !uidOf(SERVER_USER)) return `running as root but there is no "${SERVER_USER}" OS user to run the server as`
  if (isRoot() && !fs.existsSync('/usr/sbin/runuser') && !fs.existsSync('/sbin/runuser') && !hasOnPath('runuser'))
    return 'running as root but runuser is missing'
  return undefined
}

function hasOnPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => fs.existsSync(path.join(d, cmd)))
}

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

/** True when something accepts TCP connections on the port. */
export function portOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    const done = (open: boolean) => {
      socket.destroy()
      resolve(open)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

export interface PgCluster {
  port: number
  /** Temp folder holding the data directory, the socket and the log. */
  dir: string
  dataDir: string
  /** Connection string as the `postgres` superuser (trust auth, loopback only). */
  url(database?: string): string
  /** pg_ctl start -w; after a crash this is crash recovery from WAL. Retries while old backends linger. */
  start(): Promise<void>
  /** The postmaster's pid, from postmaster.pid. */
  postmasterPid(): number
  /** kill -9 the postmaster; returns its pid. */
  killPostmaster(): number
  /** pg_ctl stop -m immediate (ignores a server that is already down). */
  stop(): Promise<void>
  /** Stop and remove the temp folder. Safe to call more than once. */
  destroy(): Promise<void>
  /** The server log, for failure messages. */
  log(): string
}

async function run(bin: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', SERVER_USER, '--', bin, ...args]] : [bin, args]
  try {
    return await execFile(cmd, argv, { encoding: 'utf8', timeout: 60_000 })
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string }
    throw new Error(`${path.basename(bin)} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`)
  }
}

/** initdb a new cluster in a temp folder and start it on a free port. */
export async function createCluster(): Promise<PgCluster> {
  const bin = postgresBinDir()
  if (!bin) throw new Error(clusterUnavailableReason())
  const cluster = await clusterInTempDir(bin)
  try {
    await run(path.join(bin, 'initdb'), ['-D', cluster.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions'])
    await cluster.start()
  } catch (err) {
    await cluster.destroy().catch(() => {})
    throw err
  }
  return cluster
}

/**
 * A hot standby of primary: pg_basebackup -R (which writes standby.signal and primary_conninfo)
 * into a temp folder, started on a free port, streaming from the primary. The primary needs
 * wal_level = replica or higher (the default) and a free WAL sender (max_wal_senders, default 10).
 */
export async function createReplica(primary: PgCluster): Promise<PgCluster> {
  const bin = postgresBinDir()
  if (!bin) throw new Error(clusterUnavailableReason())
  const replica = await clusterInTempDir(bin)
  try {
    await run(path.join(bin, 'pg_basebackup'), [
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      replica.dataDir,
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
    ])
    await replica.start()
  } catch (err) {
    await replica.destroy().catch(() => {})
    throw err
  }
  return replica
}

async function clusterInTempDir(bin: string): Promise<PgCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'matchbase-pgcluster-'))
  const dataDir = path.join(dir, 'data')
  const logFile = path.join(dir, 'server.log')
  if (isRoot()) {
    const owner = uidOf(SERVER_USER)!
    fs.chownSync(dir, owner.uid, owner.gid)
  }
  const port = await freePort()
  let destroyed = false

  const cluster: PgCluster = {
    port,
    dir,
    dataDir,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async start() {
      const deadline = Date.now() + 20_000
      for (;;) {
        try {
          await run(path.join(bin, 'pg_ctl'), [
            '-D',
            dataDir,
            '-l',
            logFile,
            '-w',
            '-t',
            '30',
            '-o',
            `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir}`,
            'start',
          ])
          return
        } catch (err) {
          // Backends of a killed postmaster exit on their own shortly; until then the old shared
          // memory block is "still in use" and a new postmaster refuses to start.
          if (Date.now() > deadline) throw err
          await new Promise((r) => setTimeout(r, 200))
        }
      }
    },
    postmasterPid() {
      const first = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]
      const pid = Number(first)
      if (!Number.isInteger(pid) || pid <= 0) throw new Error(`No postmaster pid in postmaster.pid: ${first}`)
      return pid
    },
    killPostmaster() {
      const pid = cluster.postmasterPid()
      process.kill(pid, 'SIGKILL')
      return pid
    },
    async stop() {
      if (!fs.existsSync(path.join(dataDir, 'postmaster.pid'))) return
      await run(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => {
        // A killed postmaster leaves a stale pid file; nothing is running to stop.
      })
    },
    async destroy() {
      if (destroyed) return
      destroyed = true
      await cluster.stop()
      fs.rmSync(dir, { recursive: true, force: true })
    },
    log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
  }

  return cluster
}
