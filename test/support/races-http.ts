// Helpers for the race suites (test/races/): a real listening server, many concurrent HTTP
// requests over real sockets, and bulk fixtures (hundreds of designers and matches per round).
import { sql } from 'kysely'
import type { Platform } from '../../src/platform/platform'
import type { TestEnv } from './test-env'

export interface Answer {
  status: number
  body: string
  replayed: boolean
  json(): any
}

/** Starts the app on a free port and returns its base URL. */
export async function listen(env: TestEnv): Promise<string> {
  return env.http.listen({ port: 0, host: '127.0.0.1' })
}

/** Sends all requests at once (one socket each) and waits for every answer. */
export async function fireAll(
  requests: Array<{ method: 'POST' | 'GET'; url: string; headers?: Record<string, string>; body?: unknown }>,
): Promise<Answer[]> {
  return Promise.all(
    requests.map(async (r) => {
      const res = await fetch(r.url, {
        method: r.method,
        headers: { ...(r.body === undefined ? {} : { 'content-type': 'application/json' }), ...r.headers },
        body: r.body === undefined ? undefined : JSON.stringify(r.body),
      })
      const body = await res.text()
      return { status: res.status, body, replayed: res.headers.get('idempotent-replayed') === 'true', json: () => JSON.parse(body) }
    }),
  )
}

/** Counts answers by status, e.g. { 201: 1, 402: 199 }. */
export function tally(answers: Answer[]): Record<number, number> {
  const t: Record<number, number> = {}
  for (const a of answers) t[a.status] = (t[a.status] ?? 0) + 1
  return t
}

/** n approved, available designers in one statement. */
export async function manyDesigners(p: Platform, n: number, tag: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    insert into onedesigner.designers (email, first_name, last_name, professional_title, categories, is_verified, is_approved, last_approved_at, timezone)
    select 'race-' || ${tag} || '-' || g || '@example.test', 'Dana', 'Designer ' || g, 'Brand Designer', array['branding-logo'], true, true, ${p.clock.now()}, 'UTC'
    from generate_series(1, ${n}) g
    returning id`.execute(p.db.kysely)
  return rows.map((r) => r.id)
}

/** One active match per designer for the client's brief, in one statement; ids in designer order. */
export async function matchesFor(p: Platform, clientId: string, briefId: string, designerIds: string[]): Promise<string[]> {
  const expiresAt = new Date(p.clock.now().getTime() + 7 * 86_400_000)
  const { rows } = await sql<{ id: string }>`
    insert into onedesigner.matches (client_id, designer_id, brief_id, score, reasons, ai_provider, expires_at)
    select ${clientId}, d, ${briefId}, 70, array['Works in branding-logo'], 'local', ${expiresAt}
    from unnest(${designerIds}::uuid[]) with ordinality as u(d, i)
    order by i
    returning id`.execute(p.db.kysely)
  return rows.map((r) => r.id)
}

/** The client's balance, the sum of their ledger and its lowest point: the books must agree. */
export async function books(p: Platform, clientId: string) {
  const { rows } = await sql<{ balance: number; ledgerSum: number; lowest: number; unlockRows: number; purchaseRows: number }>`
    select c.match_credits as balance,
           coalesce(sum(l.delta), 0)::int as ledger_sum,
           coalesce(min(l.balance_after), 0)::int as lowest,
           count(*) filter (where l.reason = 'unlock')::int as unlock_rows,
           count(*) filter (where l.reason = 'purchase')::int as purchase_rows
    from onedesigner.clients c
    left join platform.ledger_entries l on l.account_table = 'clients' and l.account_id = c.id
    where c.id = ${clientId}
    group by c.id`.execute(p.db.kysely)
  return rows[0]
}
