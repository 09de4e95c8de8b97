// Bandsy's testing provider: how the proof suites make its users, its row-level security world
// and its fuzzing rows (see test/support/app-testing.ts).
import { aMusician } from '../bandsy'
import { defineTesting } from '../app-testing'
import { asActor, bandsyTables, bandWorld } from './bandsy-rls'
import { bandsyFuzz } from './bandsy-fuzz'

export const testing = defineTesting({
  name: 'bandsy',
  roles: ['musician'],
  async user(p, role) {
    if (role !== 'musician') throw new Error(`Bandsy has no role "${role}"`)
    return asActor(await aMusician(p))
  },
  rls: { world: bandWorld, tables: bandsyTables },
  fuzz: bandsyFuzz,
  otp: {
    // Musicians sign up by code: one kind of account, no `type` in the body.
    kinds: [{ known: async (p) => asActor(await aMusician(p)) }],
    body: (email) => ({ email }),
    hasAccount: async (p, email) =>
      !!(await p.db.kysely.selectFrom('bandsy.users').select('id').where('email', '=', email).executeTakeFirst()),
  },
})
