// The policies in force: the platform's own and those each enabled app declares in its manifest.
import type { AppModule } from '../../app'
import type { ResolvedPolicy, RetentionPolicy } from './types'

const IDENT = /^[a-z_][a-z0-9_]*$/
const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/
const INTERVAL = /^\d+ (minute|hour|day|week|month|year)s?$/

/** The platform's own tables. Logs that expire by whole partitions are in partitions.ts. */
export const platformPolicies: RetentionPolicy[] = [
  {
    name: 'dev-mailbox',
    description: 'delete dev-mailbox mail older than 7 days (it exists only to read codes in development)',
    table: 'platform.dev_mailbox',
    ageColumn: 'sent_at',
    age: '7 days',
    action: 'delete',
  },
  {
    name: 'expired-refresh-tokens',
    description: 'delete refresh tokens expired for more than 30 days (dead chains; reuse detection needs none of them)',
    table: 'platform.refresh_tokens',
    ageColumn: 'expires_at',
    age: '30 days',
    action: 'delete',
  },
]

export class PolicyError extends Error {}

export function resolvePolicy(app: string, p: RetentionPolicy): ResolvedPolicy {
  const [schema, tableName] = p.table.includes('.') ? p.table.split('.', 2) : [app, p.table]
  const where = `retention policy ${app}/${p.name}`
  if (!NAME.test(p.name)) throw new PolicyError(`${where}: the name must be kebab-case`)
  for (const ident of [schema, tableName, p.ageColumn, ...Object.keys(p.set ?? {})])
    if (!IDENT.test(ident)) throw new PolicyError(`${where}: ${ident} is not a plain lower-case SQL name`)
  if (!INTERVAL.test(p.age)) throw new PolicyError(`${where}: age must be like '30 days', '6 months' or '7 years'`)
  if (p.action === 'anonymize' && !Object.keys(p.set ?? {}).length) throw new PolicyError(`${where}: anonymize needs the columns to set`)
  if (p.dropsWith && p.action !== 'archive') throw new PolicyError(`${where}: dropsWith is for archive policies`)
  if (p.action !== 'anonymize' && p.set) throw new PolicyError(`${where}: only anonymize sets columns`)
  if (schema !== app && app !== 'platform') throw new PolicyError(`${where}: an app's policies keep to its own schema`)
  return { ...p, app, id: `${app}-${p.name}`, schema, tableName }
}

/** Every policy of the platform and of these apps, checked; ids are unique. */
export function policiesOf(apps: AppModule[]): ResolvedPolicy[] {
  const all = [
    ...platformPolicies.map((p) => resolvePolicy('platform', p)),
    ...apps.flatMap((a) => (a.retention ?? []).map((p) => resolvePolicy(a.name, p))),
  ]
  const seen = new Set<string>()
  for (const p of all) {
    if (seen.has(p.id)) throw new PolicyError(`Two retention policies are named ${p.id}`)
    seen.add(p.id)
  }
  return all
}
