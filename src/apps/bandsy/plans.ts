// Plans and what they unlock. Gating is server-side: the services read the caller's plan from
// the database (bandsy.plan_of, which also guards "who liked you" in row-level security), never
// from the token or the request.
import { sql, type RawBuilder } from 'kysely'
import type { Executor } from '../../platform'

export const PLANS = ['free', 'basic', 'premium', 'pro'] as const
export type Plan = (typeof PLANS)[number]
export type PaidPlan = Exclude<Plan, 'free'>
export const PAID_PLANS: PaidPlan[] = ['basic', 'premium', 'pro']

export interface PlanFeatures {
  /** Largest search radius the plan allows, km. */
  maxSearchRadiusKm: number
  /** Super likes per UTC day; null: unlimited. */
  superLikesPerDay: number | null
  /** Sees plain likes sent to them (super likes are always seen). */
  seeWhoLikedYou: boolean
  /** Price of one 30-day period, in cents (0 for free). */
  priceCents: number
}

export const PLAN_FEATURES: Record<Plan, PlanFeatures> = {
  free: { maxSearchRadiusKm: 50, superLikesPerDay: 1, seeWhoLikedYou: false, priceCents: 0 },
  basic: { maxSearchRadiusKm: 100, superLikesPerDay: 3, seeWhoLikedYou: false, priceCents: 499 },
  premium: { maxSearchRadiusKm: 250, superLikesPerDay: 10, seeWhoLikedYou: true, priceCents: 999 },
  pro: { maxSearchRadiusKm: 1000, superLikesPerDay: null, seeWhoLikedYou: true, priceCents: 1999 },
}

export const SUBSCRIPTION_PERIOD_DAYS = 30
export const PLAN_CURRENCY = 'usd'

/** The cheapest plan whose features pass the test, for "upgrade to ..." answers. */
export function cheapestPlanWhere(test: (f: PlanFeatures) => boolean): Plan | undefined {
  return PLANS.find((p) => test(PLAN_FEATURES[p]))
}

/** The plan the user holds at `at`: their active subscription covering that moment, else free. */
export async function planOf(db: Executor, userId: string, at: Date): Promise<Plan> {
  const { rows } = await sql<{ plan: Plan | null }>`select ${planColumn(sql`${userId}::uuid`, at)}`.execute(db)
  return rows[0]?.plan ?? 'free'
}

/** SQL column `plan`: planOf inside a larger statement, to save it a round trip (null reads as free). */
export const planColumn = (userId: RawBuilder<unknown>, at: Date) => sql`bandsy.plan_of(${userId}, ${at}::timestamptz) as plan`
