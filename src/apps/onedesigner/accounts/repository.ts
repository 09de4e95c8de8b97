// Accounts of the three OneDesigner roles. Lookups and sign-up run on the owner role (auth
// issuance is system work); readMe runs in a withUser transaction, under RLS.
import { sql } from 'kysely'
import type { Executor, Tx, DB } from '../../../platform'

export type Role = 'client' | 'designer' | 'admin'

const TABLE = {
  client: 'onedesigner.clients',
  designer: 'onedesigner.designers',
  admin: 'onedesigner.admins',
} as const satisfies Record<Role, keyof DB>

export interface AccountRef {
  id: string
  email: string
}

export async function findByEmail(db: Executor, role: Role, email: string): Promise<AccountRef | undefined> {
  return db.selectFrom(TABLE[role]).select(['id', 'email']).where(sql<string>`lower(email)`, '=', email.toLowerCase()).executeTakeFirst()
}

export async function findById(db: Executor, role: Role, id: string): Promise<AccountRef | undefined> {
  return db.selectFrom(TABLE[role]).select(['id', 'email']).where('id', '=', id).executeTakeFirst()
}

export interface NewAccount {
  email: string
  firstName?: string
  lastName?: string
}

/** A client signs up with no credits; the email is verified by the code just checked. */
export async function createClient(tx: Tx, a: NewAccount): Promise<AccountRef> {
  const row = await tx
    .insertInto('onedesigner.clients')
    .values({ email: a.email, firstName: a.firstName ?? null, lastName: a.lastName ?? null, matchCredits: 0, isVerified: true })
    .onConflict((oc) => oc.column('email').doNothing())
    .returning(['id', 'email'])
    .executeTakeFirst()
  return row ?? (await findByEmail(tx, 'client', a.email))!
}

/** A designer signs up unapproved; names are required by the table, so blank until the profile is filled. */
export async function createDesigner(tx: Tx, a: NewAccount): Promise<AccountRef> {
  const row = await tx
    .insertInto('onedesigner.designers')
    .values({ email: a.email, firstName: a.firstName ?? '', lastName: a.lastName ?? '', isVerified: true, isApproved: false })
    .onConflict((oc) => oc.column('email').doNothing())
    .returning(['id', 'email'])
    .executeTakeFirst()
  return row ?? (await findByEmail(tx, 'designer', a.email))!
}

/** Clients have no last_login_at column. */
export async function touchLastLogin(tx: Tx, role: Role, id: string, at: Date): Promise<void> {
  if (role === 'client') return
  await tx.updateTable(TABLE[role]).set({ lastLoginAt: at }).where('id', '=', id).execute()
}

export async function readClient(tx: Tx, id: string) {
  return tx
    .selectFrom('onedesigner.clients')
    .select(['id', 'email', 'firstName', 'lastName', 'matchCredits', 'isVerified', 'profileCompleted', 'createdAt'])
    .where('id', '=', id)
    .executeTakeFirst()
}

export async function readDesigner(tx: Tx, id: string) {
  return tx
    .selectFrom('onedesigner.designers')
    .select([
      'id',
      'email',
      'firstName',
      'lastName',
      'isVerified',
      'isApproved',
      'editedAfterApproval',
      'lastApprovedAt',
      'rejectionReason',
      'lastLoginAt',
      'createdAt',
    ])
    .where('id', '=', id)
    .executeTakeFirst()
}

export async function readAdmin(tx: Tx, id: string) {
  return tx
    .selectFrom('onedesigner.admins')
    .select(['id', 'email', 'name', 'lastLoginAt', 'createdAt'])
    .where('id', '=', id)
    .executeTakeFirst()
}
