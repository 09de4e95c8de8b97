// The skeleton's rules: sign-in by emailed code (the first code makes the account), notes only
// their owner reaches (row-level security does the checking), and a credit pack bought through the
// platform purchase flow whose settling adds the credits and notifies the buyer.
import type { Kysely } from 'kysely'
import {
  type Claims,
  type Executor,
  type Platform,
  type PurchaseRow,
  createOtpService,
  createSessions,
  normalizeEmail,
  notFound,
  PURCHASE_ROW_COLUMNS,
  purchaseFlow,
} from '../../../src/platform'
import type { DB as SkeletonDB } from './schema.generated'

export const APP = 'skeleton'
export const MEMBER = 'member'
export const PACK = { credits: 10, amountCents: 500, currency: 'usd' }

// The platform's DB type holds the registered apps only; this test-only app types its own tables.
const db = (tx: Executor) => tx as unknown as Kysely<SkeletonDB>

export function createAccounts(platform: Platform) {
  const otp = createOtpService(platform, { app: APP, schema: APP })
  const sessions = createSessions(platform, APP)
  return {
    otp,
    async requestCode(email: string, ip: string) {
      const { expiresInSeconds } = await otp.issue({ email: normalizeEmail(email), type: MEMBER, purpose: 'login', ip })
      return { status: 'sent' as const, expiresInSeconds }
    },
    verifyCode: (email: string, code: string, ip: string) =>
      otp.verify({ email, type: MEMBER, code, ip }, async (tx, v) => {
        const user = await db(tx)
          .insertInto('skeleton.users')
          .values({ email: v.email })
          .onConflict((oc) => oc.column('email').doUpdateSet({ email: v.email }))
          .returning(['id', 'email'])
          .executeTakeFirstOrThrow()
        return sessions.start(tx, { id: user.id, role: MEMBER, email: user.email })
      }),
  }
}

const NOTE = ['id', 'body', 'createdAt'] as const

export const notes = {
  list: (tx: Executor) => db(tx).selectFrom('skeleton.notes').select(NOTE).orderBy('createdAt', 'desc').limit(100).execute(),
  create: (tx: Executor, ownerId: string, body: string) =>
    db(tx).insertInto('skeleton.notes').values({ ownerId, body }).returning(NOTE).executeTakeFirstOrThrow(),
  async get(tx: Executor, id: string) {
    const note = await db(tx).selectFrom('skeleton.notes').select(NOTE).where('id', '=', id).executeTakeFirst()
    if (!note) throw notFound('Note', { noteId: id })
    return note
  },
  async remove(tx: Executor, id: string) {
    const { numDeletedRows } = await db(tx).deleteFrom('skeleton.notes').where('id', '=', id).executeTakeFirst()
    if (!numDeletedRows) throw notFound('Note', { noteId: id })
  },
}

export type Purchase = PurchaseRow & { userId: string; credits: number }

const balance = async (tx: Executor, id: string) =>
  (await db(tx).selectFrom('skeleton.users').select('credits').where('id', '=', id).executeTakeFirstOrThrow()).credits

export const creditPurchases = purchaseFlow<object, Purchase, number, { credits: number }>({
  app: APP,
  kind: 'credit-pack',
  table: 'skeleton.creditPurchases',
  buyerColumn: 'userId',
  columns: [...PURCHASE_ROW_COLUMNS, 'userId', 'credits'],
  price: async () => ({ amountCents: PACK.amountCents, currency: PACK.currency, columns: { credits: PACK.credits } }),
  describe: (p) => `Skeleton: ${p.credits} credits`,
  mismatch: () => undefined,
  async grant(platform, tx, p) {
    const { credits } = await db(tx)
      .updateTable('skeleton.users')
      .set((eb) => ({ credits: eb('credits', '+', p.credits) }))
      .where('id', '=', p.userId)
      .returning('credits')
      .executeTakeFirstOrThrow()
    await platform.notify.notify(tx, { app: APP, userId: p.userId, type: 'credits', title: `${p.credits} credits added` })
    return credits
  },
  async reverse(_platform, tx, p) {
    const taken = Math.min(p.credits, await balance(tx, p.userId))
    await db(tx)
      .updateTable('skeleton.users')
      .set((eb) => ({ credits: eb('credits', '-', taken) }))
      .where('id', '=', p.userId)
      .execute()
    return { creditsTaken: taken }
  },
  answer: async (_platform, tx, claims: Claims, _p, granted) => ({ credits: granted ?? (await balance(tx, claims.sub)) }),
  audit: { action: 'credits.purchased', subjectType: 'credit_purchase', data: (p) => ({ credits: p.credits }) },
  settledResult: 'credited',
})
