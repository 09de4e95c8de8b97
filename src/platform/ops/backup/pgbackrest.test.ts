import { describe, expect, it } from 'vitest'
import { planRestore, type RepositoryInfo } from './pgbackrest'
import { compareSummaries, type DatabaseSummary } from './manifest'

const at = (iso: string) => new Date(iso)
const repo: RepositoryInfo = {
  status: 'ok',
  cipher: 'aes-256-cbc',
  sets: [
    {
      label: '20260501-010000F',
      type: 'full',
      startedAt: at('2026-05-01T01:00:00Z'),
      stoppedAt: at('2026-05-01T01:05:00Z'),
      databaseBytes: 1,
      repositoryBytes: 1,
    },
    {
      label: '20260501-010000F_20260501-020000D',
      type: 'diff',
      startedAt: at('2026-05-01T02:00:00Z'),
      stoppedAt: at('2026-05-01T02:01:00Z'),
      databaseBytes: 1,
      repositoryBytes: 1,
      prior: '20260501-010000F',
    },
  ],
}
const now = at('2026-05-02T00:00:00Z')

describe('planRestore (pgBackRest targets)', () => {
  it('picks the latest backup that finished before the target time', () => {
    expect(planRestore(repo, { to: at('2026-05-01T01:30:00Z'), now })).toMatchObject({
      set: '20260501-010000F',
      target: '2026-05-01 01:30:00.000+00',
    })
    const later = planRestore(repo, { to: at('2026-05-01T03:00:00Z'), now })
    expect(later.set).toBe('20260501-010000F_20260501-020000D')
    expect(later.args).toEqual(
      expect.arrayContaining(['--delta', '--type=time', '--target=2026-05-01 03:00:00.000+00', '--target-action=promote']),
    )
  })

  it('refuses a target before the first backup finished, naming the earliest possible one', () => {
    expect(() => planRestore(repo, { to: at('2026-05-01T01:04:00Z'), now })).toThrow(
      /before the first backup finished .*earliest time this repository can restore to is 2026-05-01T01:05:01.000Z/,
    )
  })

  it('refuses a future target, an unknown set, both --to and --immediate, and an empty repository', () => {
    expect(() => planRestore(repo, { to: at('2026-06-01T00:00:00Z'), now })).toThrow(/in the future/)
    expect(() => planRestore(repo, { set: 'nope', now })).toThrow(/No backup set nope/)
    expect(() => planRestore(repo, { to: at('2026-05-01T03:00:00Z'), immediate: true, now })).toThrow(/either --to TIME or --immediate/)
    expect(() => planRestore({ ...repo, sets: [] }, {})).toThrow(/holds no backup yet/)
    expect(() => planRestore(repo, { to: at('2026-05-01T01:30:00Z'), set: '20260501-010000F_20260501-020000D', now })).toThrow(
      /finished after --to/,
    )
  })

  it('without a target replays all archived WAL on the latest set; --immediate stops at the backup', () => {
    expect(planRestore(repo, {}).args).toEqual(['--delta', '--set=20260501-010000F_20260501-020000D'])
    expect(planRestore(repo, { immediate: true, set: '20260501-010000F' }).args).toEqual([
      '--delta',
      '--set=20260501-010000F',
      '--type=immediate',
      '--target-action=promote',
    ])
  })
})

describe('compareSummaries', () => {
  const base: DatabaseSummary = {
    serverVersion: '15',
    schemaVersions: { platform: { version: '0010', migrations: 10 } },
    tables: [
      { table: 'a.t', rows: 2, checksum: 'x' },
      { table: 'a.u', rows: 1, checksum: 'y' },
    ],
  }

  it('is empty for equal summaries and names every difference otherwise', () => {
    expect(compareSummaries(base, structuredClone(base))).toEqual([])
    const restored: DatabaseSummary = {
      serverVersion: '15',
      schemaVersions: { platform: { version: '0009', migrations: 9 } },
      tables: [
        { table: 'a.t', rows: 2, checksum: 'z' },
        { table: 'a.v', rows: 4, checksum: 'w' },
      ],
    }
    expect(compareSummaries(base, restored)).toEqual([
      'schema platform: backup has version 0010 (10 migrations), restore has version 0009 (9 migrations)',
      'table a.t: same row count (2) but different contents (checksum)',
      'table a.u: missing after restore (backup has 1 rows)',
      'table a.v: not in the backup but present after restore (4 rows)',
    ])
  })
})
