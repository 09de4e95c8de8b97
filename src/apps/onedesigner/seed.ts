// OneDesigner demo data: about 200 designers over every category (most approved, a few in the
// admin queues), three clients with credits and an active brief, one admin. Loaded once, in
// one transaction; embeddings are computed afterwards so that a failing embedder leaves the
// data in place (the embedding refresh job catches up).
import { sql } from 'kysely'
import { type Platform, type SeedOptions, type Tx, DAY } from '../../platform'
import { CATEGORIES } from './catalog'
import { demoDesigners, reviewCounts, type DemoDesigner } from './designers/demo-profiles'
import { refreshStaleEmbeddings } from './matching/embeddings'

export const DEMO_ADMIN = 'admin@onedesigner.local'
export const DEMO_CLIENTS = [
  { email: 'alex@client.local', firstName: 'Alex', lastName: 'Rivera', credits: 10 },
  { email: 'sam@client.local', firstName: 'Sam', lastName: 'Taylor', credits: 5 },
  { email: 'jordan@client.local', firstName: 'Jordan', lastName: 'Lee', credits: 3 },
] as const
const DEFAULT_DESIGNERS = 200
const INSERT_CHUNK = 500
const EMBED_BATCH = 50

export async function isSeeded(platform: Platform): Promise<boolean> {
  const row = await platform.db.kysely.selectFrom('onedesigner.admins').select('id').where('email', '=', DEMO_ADMIN).executeTakeFirst()
  return !!row
}

function designerRow(d: DemoDesigner, now: Date) {
  const joined = new Date(now.getTime() - d.joinedDaysAgo * DAY)
  const approvedAt = d.review === 'approved' || d.review === 'edited' ? new Date(joined.getTime() + 2 * DAY) : null
  const { review: _review, joinedDaysAgo: _days, portfolioImages, caseStudies, ...profile } = d
  return {
    ...profile,
    portfolioImages: JSON.stringify(portfolioImages),
    caseStudies: JSON.stringify(caseStudies),
    isVerified: true,
    isApproved: approvedAt !== null,
    lastApprovedAt: approvedAt,
    editedAfterApproval: d.review === 'edited',
    rejectionReason: d.review === 'rejected' ? 'Portfolio links could not be opened; please update them and tell us.' : null,
    createdAt: joined,
    updatedAt: d.review === 'edited' ? new Date(now.getTime() - DAY) : (approvedAt ?? joined),
    lastLoginAt: d.review === 'pending' ? null : new Date(now.getTime() - (d.joinedDaysAgo % 9) * DAY),
  }
}

async function insertClientsAndBriefs(tx: Tx) {
  // The credit ledger trigger refuses balance changes without a stated reason.
  await sql`select set_config('ledger.reason', 'seed', true)`.execute(tx)
  const clients = await tx
    .insertInto('onedesigner.clients')
    .values(DEMO_CLIENTS.map(({ credits, ...c }) => ({ ...c, matchCredits: credits, isVerified: true, profileCompleted: true })))
    .onConflict((oc) => oc.column('email').doNothing())
    .returning(['id', 'email'])
    .execute()
  const id = (email: string) => clients.find((c) => c.email === email)?.id
  const briefs = [
    {
      clientId: id('alex@client.local'),
      projectType: 'branding-logo',
      industry: 'food-beverage',
      budget: '5k-10k',
      timeline: '2-4-weeks',
      projectTitle: 'Brand identity for a specialty coffee roaster',
      projectDescription:
        'We roast single-origin coffee and open our first café next spring. We need a logo, colours and packaging-ready brand guidelines.',
      requirements: 'Logo that works on bags, cups and signage; a small colour palette; two typefaces.',
      targetAudience: 'Urban coffee lovers, 25 to 45',
      styles: ['minimal', 'organic'],
      deliverables: ['Logo suite', 'Brand guidelines', 'Bag label template'],
      referenceMaterials: JSON.stringify(['https://images.example.com/references/coffee-1.jpg']),
      categorySpecificFields: JSON.stringify({
        brandName: 'Ember Roasters',
        hasExistingBrand: false,
        logoStyle: 'combination',
        deliverableFormats: ['svg', 'png', 'pdf'],
      }),
    },
    {
      clientId: id('sam@client.local'),
      projectType: 'web-mobile',
      industry: 'finance',
      budget: '10k-25k',
      timeline: '1-3-months',
      projectTitle: 'Onboarding for a budgeting app',
      projectDescription: 'Redesign sign-up and the first week of our budgeting app to lift activation.',
      requirements: 'iOS and Android; WCAG AA; reuse our design system where it fits.',
      targetAudience: 'First-time savers',
      styles: ['modern', 'playful'],
      deliverables: ['Figma screens', 'Clickable prototype'],
      referenceMaterials: JSON.stringify([]),
      categorySpecificFields: JSON.stringify({ platforms: ['ios', 'android'], pageCount: 14, designSystem: true }),
    },
  ].flatMap((b) => (b.clientId ? [{ ...b, clientId: b.clientId }] : []))
  if (briefs.length) await tx.insertInto('onedesigner.briefs').values(briefs).execute()
}

export async function seed(platform: Platform, opts: SeedOptions = {}): Promise<string[]> {
  const count = opts.size ?? DEFAULT_DESIGNERS
  const progress = opts.progress ?? (() => {})
  const designers = demoDesigners(count)
  const counts = reviewCounts(count)
  const total = designers.length * 2
  const lines: string[] = []

  if (await isSeeded(platform)) {
    lines.push('OneDesigner demo data is already loaded.')
  } else {
    const now = platform.clock.now()
    await platform.db.kysely.transaction().execute(async (tx) => {
      for (let i = 0; i < designers.length; i += INSERT_CHUNK) {
        const chunk = designers.slice(i, i + INSERT_CHUNK)
        await tx
          .insertInto('onedesigner.designers')
          .values(chunk.map((d) => designerRow(d, now)))
          .onConflict((oc) => oc.column('email').doNothing())
          .execute()
        progress(i + chunk.length, total, 'designers')
      }
      await insertClientsAndBriefs(tx)
      // Last, because isSeeded looks for it.
      await tx
        .insertInto('onedesigner.admins')
        .values({ email: DEMO_ADMIN, name: 'Demo Admin' })
        .onConflict((oc) => oc.column('email').doNothing())
        .execute()
    })
    lines.push(
      `OneDesigner demo: ${counts.approved} approved designers across ${CATEGORIES.length} categories ` +
        `(${counts.edited} edited since approval), ${counts.pending} pending and ${counts.rejected} rejected in the admin queue, ` +
        `${DEMO_CLIENTS.length} clients with credits, 1 admin.`,
    )
  }

  try {
    let embedded = 0
    for (let round = 0; round < Math.ceil(total / EMBED_BATCH) + 2; round++) {
      const n = await refreshStaleEmbeddings(platform, EMBED_BATCH, EMBED_BATCH)
      embedded += n
      progress(Math.min(total, designers.length + embedded), total, 'embeddings')
      if (n < EMBED_BATCH) break
    }
    progress(total, total, 'done')
  } catch (err) {
    platform.log.warn({ err }, 'onedesigner seed: embeddings not computed')
    lines.push(
      `Designer embeddings could not be computed (${(err as Error).message}); ` +
        'run `npx matchbase maintain onedesigner-refresh-embeddings` once the AI provider works.',
    )
  }

  const designer = designers.find((d) => d.review === 'approved')
  const login = (email: string, type: string) =>
    `POST /v1/onedesigner/auth/otp {"email":"${email}","type":"${type}"}, read the code at GET /v1/dev/mailbox?email=${email}, ` +
    `then POST /v1/onedesigner/auth/otp/verify {"email":"${email}","type":"${type}","code":"<code>"}`
  lines.push(
    `Log in as client ${DEMO_CLIENTS[0].email} (${DEMO_CLIENTS[0].credits} credits, one active brief): ${login(DEMO_CLIENTS[0].email, 'client')}`,
    `Other clients: ${DEMO_CLIENTS.slice(1)
      .map((c) => `${c.email} (${c.credits} credits)`)
      .join(', ')}`,
  )
  if (designer) lines.push(`Log in as designer ${designer.email}: ${login(designer.email, 'designer')}`)
  lines.push(
    `Log in as admin ${DEMO_ADMIN} (approval queue: GET /v1/onedesigner/admin/designers?status=pending): ${login(DEMO_ADMIN, 'admin')}`,
  )
  return lines
}
