// docs/sharding-plan.json against the migrated schema (scripts/sharding-check.ts): every table
// planned, every distribution column real, every cross-shard foreign key known and explained.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Kysely } from 'kysely'
import { createTestEnv, type TestEnv } from '../support/test-env'
import { ALL_APPS } from '../../src/apps'
import { checkShardingPlan, formatResult, loadPlan, type ShardingPlan } from '../../scripts/sharding-check'

const SCHEMAS = ['platform', ...ALL_APPS.map((a) => a.name)]

describe('Citus sharding plan', () => {
  let env: TestEnv
  let db: Kysely<any>
  beforeAll(async () => {
    env = await createTestEnv({ apps: ALL_APPS })
    db = env.platform.db.kysely.withoutPlugins()
  })
  afterAll(() => env.close())
  const plan = () => structuredClone(loadPlan())

  it('plans every table of every schema; only the listed foreign keys cross shards', async () => {
    const result = await checkShardingPlan(db, plan(), SCHEMAS)
    expect(result.problems, formatResult(result)).toEqual([])
    expect(result.tables.length).toBeGreaterThan(40)
    expect(result.tables).toContainEqual({ table: 'onedesigner.matches', role: 'distributed', column: 'client_id' })
    expect(result.tables).toContainEqual({ table: 'onedesigner.designers', role: 'reference', column: null })
    expect(result.knownCrossings.every((c) => c.reason.length > 20)).toBe(true)
  })

  it('fails when a table is missing from the plan, or the plan names a column or table that does not exist', async () => {
    const p: ShardingPlan = plan()
    delete p.tables['bandsy.events']
    p.tables['bandsy.messages'] = { role: 'distributed', column: 'chat_id' }
    p.tables['bandsy.gone'] = { role: 'reference' }
    const { problems } = await checkShardingPlan(db, p, SCHEMAS)
    expect(problems).toEqual(
      expect.arrayContaining([
        'bandsy.events: missing from the plan',
        'bandsy.messages: the distribution column chat_id does not exist',
        'bandsy.gone: in the plan but not in the database',
      ]),
    )
  })

  it('flags a key between distributed tables off their distribution columns, unless listed', async () => {
    const p: ShardingPlan = plan()
    p.crossings = p.crossings.filter((c) => !(c.table === 'onedesigner.matches' && c.references === 'onedesigner.briefs'))
    const { problems } = await checkShardingPlan(db, p, SCHEMAS)
    expect(problems).toEqual([
      "foreign key onedesigner.matches(brief_id) -> onedesigner.briefs crosses shards (not on the distribution columns (onedesigner.matches.client_id, onedesigner.briefs.client_id)) and is not among the plan's crossings",
    ])
  })

  it('flags a reference table referring to a distributed one, and a local table next to a distributed one', async () => {
    const p: ShardingPlan = plan()
    p.tables['onedesigner.briefs'] = { role: 'reference' }
    p.tables['bandsy.subscriptions'] = { role: 'local' }
    const { problems } = await checkShardingPlan(db, p, SCHEMAS)
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^foreign key onedesigner\.briefs\(client_id\) -> onedesigner\.clients crosses shards \(a reference table cannot refer to a distributed one\)/,
        ),
        expect.stringMatching(/^foreign key bandsy\.subscriptions\(user_id\) -> bandsy\.users crosses shards \(a key between a local/),
      ]),
    )
  })

  it('fails on a listed crossing that no longer crosses (a stale plan)', async () => {
    const p: ShardingPlan = plan()
    p.crossings.push({ table: 'bandsy.events', columns: ['group_id'], references: 'bandsy.groups', reason: 'events live with their group' })
    const { problems } = await checkShardingPlan(db, p, SCHEMAS)
    expect(problems).toEqual(['crossing bandsy.events(group_id) -> bandsy.groups is listed but no such key crosses shards (remove it)'])
  })
})
