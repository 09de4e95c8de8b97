// OneDesigner's testing provider: how the proof suites make its users, its row-level security
// world and its fuzzing rows (see test/support/app-testing.ts).
import { aClient, aDesigner, anAdmin } from '../onedesigner'
import { defineTesting } from '../app-testing'
import { asActor, oneDesignerTables, oneDesignerWorld } from './onedesigner-rls'
import { oneDesignerFuzz } from './onedesigner-fuzz'

export const testing = defineTesting({
  name: 'onedesigner',
  roles: ['client', 'designer', 'admin'],
  async user(p, role) {
    if (role === 'client') return asActor(await aClient(p, { credits: 3 }))
    if (role === 'designer') return asActor(await aDesigner(p))
    if (role === 'admin') return asActor(await anAdmin(p))
    throw new Error(`OneDesigner has no role "${role}"`)
  },
  rls: { world: oneDesignerWorld, tables: oneDesignerTables },
  fuzz: oneDesignerFuzz,
  otp: {
    kinds: [
      // Clients sign up by code; admins and designers only sign in.
      { type: 'client', known: async (p) => asActor(await aClient(p)) },
      { type: 'admin', known: async (p) => asActor(await anAdmin(p)), mailsOnlyAccounts: true },
    ],
    body: (email, type) => ({ email, type }),
    hasAccount: async (p, email) =>
      !!(await p.db.kysely.selectFrom('onedesigner.clients').select('id').where('email', '=', email).executeTakeFirst()),
  },
})
