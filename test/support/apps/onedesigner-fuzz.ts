// OneDesigner's rows and tokens for the hostile-input fuzzer (test/fuzz/): clients rich and broke,
// approved, busy and pending designers, an admin, briefs and matches, and what users make through
// the API (an unlock, a project request and its notification, a purchase, real sessions).
import { randomUUID } from 'node:crypto'
import { aBrief, aClient, aDesigner, aMatch, anAdmin, bearer, type TestUser } from '../onedesigner'
import { signIn } from '../onedesigner-accounts'
import type { FuzzAuth, FuzzFixture, FuzzSeeding } from '../app-testing'
import { asActor } from './onedesigner-rls'

const KINDS: Record<string, string> = {
  brief: 'briefs',
  match: 'matches',
  designer: 'designers',
  client: 'clients',
  purchase: 'purchases',
  notification: 'notifications',
  request: 'project-requests',
  projectrequest: 'project-requests',
  'project-request': 'project-requests',
  unlock: 'unlocks',
  cursor: 'notifications',
}

async function seed(s: FuzzSeeding): Promise<FuzzAuth> {
  const { env } = s
  const p = env.platform
  const admin = await anAdmin(p)
  const rich = await aClient(p, { credits: 500 })
  const broke = await aClient(p, { credits: 0 })
  const designers = [
    await aDesigner(p),
    await aDesigner(p, { categories: ['web-mobile', 'branding-logo'], styles: ['bold', 'modern'] }),
    await aDesigner(p, { availability: 'busy' }),
  ]
  const pending = await aDesigner(p, { approved: false })
  const briefs = [await aBrief(p, rich), await aBrief(p, rich, { projectType: 'web-mobile' }), await aBrief(p, broke)]
  const matches = [
    await aMatch(p, { client: rich, designer: designers[0]!, brief: briefs[0]! }),
    await aMatch(p, { client: rich, designer: designers[1]!, brief: briefs[0]! }),
    await aMatch(p, { client: rich, designer: designers[2]!, brief: briefs[1]! }),
    await aMatch(p, { client: broke, designer: designers[0]!, brief: briefs[2]! }),
  ]
  for (const u of [admin, rich, broke, ...designers, pending]) {
    s.addId(u.id, u.role === 'designer' ? 'designers' : u.role === 'client' ? 'clients' : 'admins')
    s.addEmail(u.email)
  }
  // Accounts that hold a balance: the payment webhook names one in its metadata.
  for (const c of [rich, broke]) s.addId(c.id, 'accounts')
  briefs.forEach((r) => s.addId(r.id, 'briefs'))
  matches.forEach((r) => s.addId(r.id, 'matches'))

  // Rows made the way users make them: an unlock, a project request (and its notification), a purchase.
  const send = async (method: 'GET' | 'POST', url: string, user: TestUser, payload?: object, headers: Record<string, string> = {}) => {
    const res = await env.http.inject({ method, url: `/v1/onedesigner${url}`, headers: { ...bearer(user), ...headers }, payload })
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
    s.harvest(res.json(), `/v1/onedesigner${url}`)
    return res.json()
  }
  await send('POST', `/matches/${matches[0]!.id}/unlock`, rich, undefined, { 'idempotency-key': randomUUID() })
  await send('POST', '/project-requests', rich, { matchId: matches[0]!.id, message: 'Would love to work with you.' })
  const { packages } = (await send('GET', '/credits/packages', rich)) as { packages: { id: string }[] }
  s.addKnown(
    'packageId',
    packages.map((x) => x.id),
  )
  await send('POST', '/credits/purchases', rich, { packageId: packages[0]!.id }, { 'idempotency-key': randomUUID() })
  await send('GET', '/notifications', designers[0]!)
  // Real refresh tokens: the first refresh or logout with one succeeds, later ones are refused.
  const sessions = await Promise.all(
    ['client', 'designer'].map((role, i) => signIn(env, `fuzz-session-${i}@example.test`, role as 'client')),
  )
  s.addKnown(
    'refreshToken',
    sessions.map((x) => x.refreshToken),
  )

  const b = (t: string) => `Bearer ${t}`
  return {
    kinds: {
      client: { role: 'client', headers: [b(rich.token), `bearer ${rich.token}`, `Bearer   ${rich.token}`] },
      clientBroke: { role: 'client', headers: [b(broke.token)] },
      designer: { role: 'designer', headers: designers.map((d) => b(d.token)) },
      designerPending: { role: 'designer', headers: [b(pending.token)] },
      admin: { role: 'admin', headers: [b(admin.token)] },
    },
    draw: ['client', 'clientBroke', 'designer', 'designerPending', 'admin', 'client', 'designer', 'admin'],
    principals: [asActor(rich), asActor(admin)],
  }
}

export const oneDesignerFuzz: FuzzFixture = { kinds: KINDS, seed }
