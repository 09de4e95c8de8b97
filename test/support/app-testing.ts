// What an app hands the cross-cutting proof suites (test/auth, test/fuzz, test/rls, test/races) so
// they cover it with no edits of their own. Each registered app provides one, in
// test/support/apps/<app name>.ts, exporting `testing`; see test/support/app-registry.ts and
// docs/decisions/0017-generic-proof-suites.md.
import type { RawBuilder } from 'kysely'
import type { Platform } from '../../src/platform/platform'
import type { TestEnv } from './test-env'

/** A user a suite acts as, with a token their app signed. */
export interface Actor {
  id: string
  email: string
  token: string
  role: string
  /** The app whose token the actor holds. */
  app: string
}

// ---------------------------------------------------------------------------------------------
// Row-level security matrix

/** One group of rows of a table that belongs to the same users. */
export interface RowSet {
  label: string
  /** WHERE condition that selects exactly these rows (checked on the owner role: at least one). */
  where: RawBuilder<unknown>
  /** The users these rows belong to; every other user must neither see nor change them. */
  parties: Actor[]
  /** Roles (of the app that provides the set) that may read these rows although not parties, by design. */
  readableBy?: string[]
  /** Roles (of the app that provides the set) that may update these rows although not parties, by design. */
  updatableBy?: string[]
  /** A new row that would belong to these parties: no one else may insert it. */
  insert: Record<string, unknown>
  /** The column that says whose a row is, and this set's value: no one may hand their own row over to it. */
  owner?: { column: string; value: unknown }
}

export interface TableSpec<W> {
  sets(w: W): RowSet[]
  /** Why non-parties may read or update (printed with the counts). */
  byDesign?: string
}

/** One app's users and rows in one world of the matrix. */
export interface AppWorld {
  /** Every user of this app in the world: each tries every other user's rows, of every app. */
  actors: Actor[]
}

export interface RlsFixture<W extends AppWorld> {
  /** Makes users of every role of the app and at least one row of theirs in every table it lists. */
  world(p: Platform, name: string): Promise<W>
  /**
   * Row sets per table ('schema.table'): every table of the app's schema, plus the rows it owns in
   * platform tables that only some apps fill (ledger entries of accounts with a balance).
   */
  tables(p: Platform): Record<string, TableSpec<W>>
}

// ---------------------------------------------------------------------------------------------
// Fuzzer

/** What the fuzzer gives an app to make its rows with and to put real values in its pools. */
export interface FuzzSeeding {
  env: TestEnv
  /** A real id of a kind of row ('briefs', 'users'...; see kindOfField) for requests to use. */
  addId(id: unknown, kind: string | undefined): void
  /** Every id in an API answer joins the pools, by the kind its key (or else the path) names. */
  harvest(answer: unknown, path: string): void
  addEmail(email: string): void
  /** Known good values for a property name (packageId, refreshToken ...). */
  addKnown(name: string, values: string[]): void
}

export interface FuzzAuth {
  /**
   * The app's kinds of valid token, by a name of the app's choosing ('client', 'clientBroke'),
   * each with its role and Authorization headers (several: a request picks one by its draw).
   */
  kinds: Record<string, { role: string; headers: string[] }>
  /** The kinds a guarded route of this app draws from; a kind listed twice is drawn twice as often. */
  draw: string[]
  /** Users whose tokens the shared bad-token kinds are forged from (expired, tampered, other app): the first two at least. */
  principals: Actor[]
}

export interface FuzzFixture {
  /** Field or path names of this app's kinds of row: { brief: 'briefs', touser: 'users' } (lowercase, no "Id"). */
  kinds: Record<string, string>
  /** Makes the app's rows (some through its API, as users make them) and returns its tokens. */
  seed(s: FuzzSeeding): Promise<FuzzAuth>
}

// ---------------------------------------------------------------------------------------------
// The provider

export interface AppTesting<W extends AppWorld = AppWorld> {
  /** The app's name, as in its manifest. */
  name: string
  /** Every role the app's tokens carry. */
  roles: string[]
  /** A fresh user of the role, with a signed token: the auth suite's genuine caller. */
  user(p: Platform, role: string): Promise<Actor>
  rls: RlsFixture<W>
  fuzz: FuzzFixture
  /** Sign-in by emailed code at /v1/<app>/auth/otp and /auth/otp/verify; null: the app has none. */
  otp: OtpFixture | null
}

export interface OtpFixture {
  /** Each kind of account a code is asked for (OneDesigner: client, designer, admin; Bandsy: one). */
  kinds: {
    /** The body's `type`, where the app asks for one. */
    type?: string
    /** A user with an account of this kind. */
    known(p: Platform): Promise<Actor>
    /** Only addresses with an account get mail (no sign-up by code for this kind). */
    mailsOnlyAccounts?: boolean
  }[]
  /** The JSON body of both requests (the verify call adds `code`). */
  body(email: string, type?: string): Record<string, unknown>
  /** An account exists for the address (a session was issued for it). */
  hasAccount(p: Platform, email: string): Promise<boolean>
}

/** Types a provider without widening its world (so its table specs see its own fields). */
export const defineTesting = <W extends AppWorld>(t: AppTesting<W>): AppTesting<W> => t
