// Small builders for OneDesigner test data. They write on the owner role (as an admin tool
// would) and hand back ids and a signed token for the user they made.
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { Platform } from '../../src/platform/platform'
import { stepUpAdmin } from './second-factor'

const APP = 'onedesigner'
let counter = 0
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}-${randomUUID().slice(0, 6)}@example.test`

export interface TestUser {
  id: string
  email: string
  token: string
  role: 'client' | 'designer' | 'admin'
  /** Admins: the sign-in token without a second factor (admin routes refuse it). */
  signInToken?: string
  /** Admins: their TOTP secret. */
  totpSecret?: string
}

export const bearer = (user: { token: string }) => ({ authorization: `Bearer ${user.token}` })

async function tokenFor(p: Platform, id: string, role: TestUser['role'], email: string) {
  return p.tokens.sign({ sub: id, role, app: APP, email }, p.clock.now())
}

export async function aClient(p: Platform, o: { email?: string; credits?: number; firstName?: string } = {}): Promise<TestUser> {
  const email = o.email ?? unique('client')
  const row = await p.db.kysely.transaction().execute(async (tx) => {
    await sql`select set_config('ledger.reason', 'test-grant', true)`.execute(tx)
    return tx
      .insertInto('onedesigner.clients')
      .values({ email, firstName: o.firstName ?? 'Casey', lastName: 'Client', matchCredits: o.credits ?? 0, isVerified: true })
      .returning('id')
      .executeTakeFirstOrThrow()
  })
  return { id: row.id, email, role: 'client', token: await tokenFor(p, row.id, 'client', email) }
}

export interface DesignerOptions {
  email?: string
  approved?: boolean
  firstName?: string
  lastName?: string
  categories?: string[]
  industries?: string[]
  styles?: string[]
  tools?: string[]
  skills?: string[]
  rateRange?: string
  availability?: 'available' | 'busy' | 'unavailable'
  bio?: string
  title?: string
}

export async function aDesigner(p: Platform, o: DesignerOptions = {}): Promise<TestUser> {
  const email = o.email ?? unique('designer')
  const row = await p.db.kysely
    .insertInto('onedesigner.designers')
    .values({
      email,
      firstName: o.firstName ?? 'Dana',
      lastName: o.lastName ?? 'Designer',
      professionalTitle: o.title ?? 'Brand Designer',
      bio: o.bio ?? 'I design brands and interfaces for growing companies.',
      categories: o.categories ?? ['branding-logo'],
      industriesWorked: o.industries ?? ['technology'],
      designStyles: o.styles ?? ['minimal'],
      tools: o.tools ?? ['figma'],
      skills: o.skills ?? ['logo design'],
      rateRange: o.rateRange ?? '$50-100/hr',
      availabilityStatus: o.availability ?? 'available',
      timezone: 'UTC',
      isVerified: true,
      isApproved: o.approved ?? true,
      lastApprovedAt: o.approved === false ? null : p.clock.now(),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return { id: row.id, email, role: 'designer', token: await tokenFor(p, row.id, 'designer', email) }
}

export async function anAdmin(p: Platform, o: { email?: string } = {}): Promise<TestUser> {
  const email = o.email ?? unique('admin')
  const row = await p.db.kysely
    .insertInto('onedesigner.admins')
    .values({ email, name: 'Ada Admin' })
    .returning('id')
    .executeTakeFirstOrThrow()
  // Admin routes need a second factor: the token is the one a real step-up gives.
  const stepped = await stepUpAdmin(p, APP, { id: row.id, email })
  return { id: row.id, email, role: 'admin', token: stepped.token, signInToken: stepped.signInToken, totpSecret: stepped.secret }
}

export interface BriefOptions {
  projectType?: string
  industry?: string
  budget?: string
  timeline?: string
  styles?: string[]
  title?: string
  description?: string
}

export async function aBrief(p: Platform, client: { id: string }, o: BriefOptions = {}): Promise<{ id: string }> {
  return p.db.kysely
    .insertInto('onedesigner.briefs')
    .values({
      clientId: client.id,
      projectType: o.projectType ?? 'branding-logo',
      industry: o.industry ?? 'technology',
      budget: o.budget ?? '5k-10k',
      timeline: o.timeline ?? '2-4-weeks',
      styles: o.styles ?? ['minimal'],
      projectTitle: o.title ?? 'New brand identity',
      projectDescription: o.description ?? 'A logo and brand guide for a fintech startup.',
    })
    .returning('id')
    .executeTakeFirstOrThrow()
}

export async function aMatch(
  p: Platform,
  m: { client: { id: string }; designer: { id: string }; brief: { id: string }; score?: number; expiresAt?: Date },
): Promise<{ id: string }> {
  return p.db.kysely
    .insertInto('onedesigner.matches')
    .values({
      clientId: m.client.id,
      designerId: m.designer.id,
      briefId: m.brief.id,
      score: m.score ?? 75,
      reasons: ['Works in branding-logo', 'Has technology experience', 'Minimal style'],
      aiMessage: 'A strong fit.',
      aiProvider: 'local',
      expiresAt: m.expiresAt ?? new Date(p.clock.now().getTime() + 7 * 86_400_000),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
}
