// Hostile-request generation from the OpenAPI document, for test/fuzz. Every operation gets a
// fast-check arbitrary of requests: mostly well-formed enough to reach the services (valid tokens,
// real ids, schema-valid bodies), the rest broken in every way a client or an attacker can break
// them (types, shapes, encodings, sizes, headers, content types).
import fc from 'fast-check'
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020'
import addFormats from 'ajv-formats'
import Stripe from 'stripe'
import { dereference } from './openapi-deref'

export type Schema = {
  type?: string | string[]
  enum?: unknown[]
  anyOf?: Schema[]
  oneOf?: Schema[]
  format?: string
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minItems?: number
  maxItems?: number
  items?: Schema
  properties?: Record<string, Schema>
  required?: string[]
  additionalProperties?: boolean | Schema
  default?: unknown
  const?: unknown
}

export interface Parameter {
  name: string
  in: 'path' | 'query' | 'header'
  required?: boolean
  schema: Schema
}

export interface Operation {
  method: string
  /** OpenAPI path, e.g. /v1/onedesigner/briefs/{id} */
  path: string
  key: string
  params: Parameter[]
  body?: Schema
  secured: boolean
  /** Response validators by status, for application/json responses. */
  responses: Map<number, ValidateFunction>
  /** Documented statuses, JSON or not. */
  documented: Set<number>
}

type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[]
        security?: unknown[]
        requestBody?: { content?: Record<string, { schema?: Schema }> }
        responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>
      }
    >
  >
}

export function makeAjv() {
  // OpenAPI 3.1 schemas are JSON Schema 2020-12; strict off for OpenAPI's own keywords (example...).
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true })
  addFormats(ajv)
  return ajv
}

export function operationsOf(document: Doc): Operation[] {
  // Schemas are walked and compiled one by one, so named components are inlined first.
  const doc = dereference(document)
  const ajv = makeAjv()
  const ops: Operation[] = []
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const responses = new Map<number, ValidateFunction>()
      const documented = new Set<number>()
      for (const [status, r] of Object.entries(op.responses ?? {})) {
        documented.add(Number(status))
        const schema = r.content?.['application/json']?.schema
        if (schema) responses.set(Number(status), ajv.compile(schema))
      }
      ops.push({
        method: method.toUpperCase(),
        path,
        key: `${method.toUpperCase()} ${path}`,
        params: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema,
        secured: !!op.security?.length,
        responses,
        documented,
      })
    }
  }
  return ops
}

// ---------------------------------------------------------------------------------------------
// Hostile values

const UUIDISH = [
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
  '{1b4e28ba-2fa1-11d2-883f-0016d3cca427}',
  '1b4e28ba2fa111d2883f0016d3cca427',
  '1b4e28ba-2fa1-11d2-883f-0016d3cca42',
  '1b4e28ba-2fa1-11d2-883f-0016d3cca4277',
  '1b4e28ba-2fa1-91d2-c83f-0016d3cca427',
  'g1b4e28b-2fa1-41d2-883f-0016d3cca427',
  ' 1b4e28ba-2fa1-41d2-883f-0016d3cca427',
  '1b4e28ba-2fa1-41d2-883f-0016d3cca427\u0000',
  'urn:uuid:1b4e28ba-2fa1-41d2-883f-0016d3cca427',
  '018f3c4e-7d2a-7c1b-9e3f-2a4b5c6d7e8f',
]

export const HOSTILE_STRINGS: string[] = [
  '',
  ' ',
  '   \t\n ',
  '\u0000',
  'abc\u0000def',
  '\u0000'.repeat(64),
  '\uD800',
  'x\uDC00y',
  '\uDBFF\uDFFF\uD800',
  '\u202Eevil\u202C.exe',
  'שלום عالم',
  '\u200F\u200E\u2066\u2069',
  '👩‍👩‍👧‍👦🏳️‍🌈🇺🇳',
  '😀'.repeat(500),
  'e\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301',
  'Z̴̡̢̛͎̈́ą̷̛l̸̢̛g̵̨̛o̷̢̕',
  '\uFEFFbom',
  '\uFFFF\uFFFE',
  '𝕏𝔂𝔷',
  'ǅǈǋ ß ﬃ İı',
  "' OR '1'='1",
  "'; drop table onedesigner.clients; --",
  '"; select pg_sleep(10); --',
  "1' union select email, null from onedesigner.admins --",
  '$$; select 1; $$',
  '\\',
  "\\'",
  '%',
  '%s%n%x',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg/onload=alert(1)>',
  'javascript:alert(1)',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '${jndi:ldap://example.invalid/a}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'prototype',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '-1e309',
  '-0',
  '0x1f',
  '0b101',
  '1_000',
  '9007199254740993',
  '99999999999999999999999999999',
  '-1',
  '0',
  '1.5',
  ' 5 ',
  '5abc',
  'true',
  'false',
  '[]',
  '{}',
  '[object Object]',
  'line1\r\nX-Injected: 1',
  'a'.repeat(256),
  'b'.repeat(10_001),
  'c'.repeat(100_000),
  ...UUIDISH,
]

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  // Long strings by repetition: generating thousands of random characters costs more than sending them.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), fc.integer({ min: 50, max: 400 }))
      .map(([s, n]) => s.repeat(n)),
  },
)

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(-1, 0, -0, 1.5, -(2 ** 31), 2 ** 31, 2 ** 53 + 2, -(2 ** 53) - 2, 1e308, -1e308, Number.MIN_VALUE, 1e-7, 1e21),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
)

/** Arrays or objects nested this deep: a parser or validator that recurses may blow its stack. */
const deepJson = (depth: number, kind: 'array' | 'object'): string =>
  kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)

export const deepValue = fc
  .constantFrom(10, 100, 1_000)
  .chain((d) => fc.constantFrom('array' as const, 'object' as const).map((k) => JSON.parse(deepJson(d, k)) as unknown))

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], { '': '' }, [[[]]]) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...HOSTILE_STRINGS.slice(0, 40)), { minLength: 50, maxLength: 300 }) },
)

/** Malformed or surprising JSON texts, sent as they are. */
export const MALFORMED_JSON: string[] = [
  '',
  ' ',
  '{',
  '}',
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  '{a:1}',
  '[1,2',
  'NaN',
  'Infinity',
  '-',
  'nul',
  'undefined',
  '\u0000',
  '{"a":"\u0000"}',
  '{"a":"\\u0000"}',
  '{"a":"\\ud800"}',
  '{"a":"\\uZZZZ"}',
  '{"a":1}{"b":2}',
  '{"a":1} trailing',
  '\uFEFF{}',
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"isAdmin":true}}}',
  '{"a":01}',
  '{"a":1e99999}',
  '{"a":-}',
  '{"a":.5}',
  '{"a":0x10}',
  '"just a string"',
  '123',
  'true',
  'null',
  '[]',
  '[{}]',
  deepJson(10_000, 'array'),
  deepJson(10_000, 'object'),
  '{"a":"' + 'x'.repeat(200_000) + '"}',
]

/** Header values as Node's HTTP parser would hand them over: latin1 characters, no controls but tab. */
export function headerSafe(s: string): string {
  return Buffer.from(s, 'utf8')
    .toString('latin1')
    .replace(/[^\t\x20-\x7e\x80-\xff]/g, '')
}

/** Percent-encodes anything, lone surrogates included (as the invalid UTF-8 a raw client could send). */
export function encodeAny(s: string): string {
  try {
    return encodeURIComponent(s)
  } catch {
    let out = ''
    for (const ch of s) {
      try {
        out += encodeURIComponent(ch)
      } catch {
        const c = ch.charCodeAt(0)
        out +=
          `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`.toUpperCase()
      }
    }
    return out
  }
}

/** Raw URL fragments sent unencoded. */
export const RAW_URL_BITS = [
  '%',
  '%zz',
  '%00',
  '%2F',
  '%2e%2e',
  '..',
  '%C0%AF',
  '%ED%A0%80',
  '%FF%FE',
  '+',
  '&&&',
  '==',
  ';',
  '#frag',
  '%0d%0a',
]

// ---------------------------------------------------------------------------------------------
// Values from schemas

export interface Pools {
  /**
   * Ids of real rows of one kind ('briefs', 'matches', ...; see kindOfField), or of every kind
   * mixed (no kind): a brief id where a match id is expected must be refused cleanly too.
   */
  ids: (kind?: string) => string[]
  emails: () => string[]
  /** Known good values for a property name, e.g. packageId. */
  known: (name: string) => string[] | undefined
}

/** Field and path names of each kind of row, given by the apps' testing providers (fuzz.kinds). */
const KINDS: Record<string, string> = {}

/** Adds an app's names of its kinds of row: { brief: 'briefs' } (lowercase, without "Id"). */
export function addKinds(kinds: Record<string, string>) {
  for (const [name, kind] of Object.entries(kinds)) {
    if (KINDS[name] && KINDS[name] !== kind) throw new Error(`"${name}" names two kinds of row: ${KINDS[name]} and ${kind}`)
    KINDS[name] = kind
  }
}

/** The kind of row a property or response key names: matchId, match, matches -> 'matches'. */
export function kindOfField(name: string): string | undefined {
  if (Object.values(KINDS).includes(name)) return name
  const base = name.replace(/Ids?$/, '').toLowerCase()
  return KINDS[base] ?? KINDS[base.replace(/es$/, '')] ?? KINDS[base.replace(/s$/, '')]
}

/** The kind of row a route is about: its last plain segment that names one (/briefs/{id}/matches -> matches). */
export function kindOfPath(path: string, uptoParam?: string): string | undefined {
  const segments = path.split('/')
  const end = uptoParam ? segments.indexOf(`{${uptoParam}}`) : segments.length
  for (let i = end - 1; i >= 0; i--) {
    const kind = kindOfField(segments[i]!)
    if (kind) return kind
  }
  return undefined
}

const fromPool = (get: () => string[], fallback: fc.Arbitrary<string>) =>
  fc.nat().chain((n) => {
    const pool = get()
    return pool.length ? fc.constant(pool[n % pool.length]!) : fallback
  })

/** Mostly an id of the right kind, sometimes any real id, sometimes a stranger. */
const idArb = (pools: Pools, kind: string | undefined) =>
  fc.oneof(
    { weight: 6, arbitrary: fromPool(() => pools.ids(kind), fc.uuid()) },
    { weight: 2, arbitrary: fromPool(() => pools.ids(), fc.uuid()) },
    { weight: 1, arbitrary: fc.uuid() },
  )

const URLISH = /url|images|materials/i
const TIMEZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham']

function typesOf(s: Schema): string[] {
  if (Array.isArray(s.type)) return s.type
  if (s.type) return [s.type]
  if (s.properties) return ['object']
  return []
}

/** A value the schema accepts (as far as a generator can tell). */
export function validArb(s: Schema, pools: Pools, name = ''): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const)
  if (s.enum?.length) return fc.constantFrom(...s.enum)
  const alternatives = s.anyOf ?? s.oneOf
  if (alternatives?.length) return fc.oneof(...alternatives.map((a) => validArb(a, pools, name)))
  const types = typesOf(s)
  if (types.length > 1) return fc.oneof(...types.map((t) => validArb({ ...s, type: t }, pools, name)))
  switch (types[0]) {
    case 'null':
      return fc.constant(null)
    case 'boolean':
      return fc.boolean()
    case 'integer':
    case 'number': {
      const min = Math.max(s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1_000), -1_000_000)
      const max = Math.min(s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1_000), 1_000_000)
      return fc.integer({ min, max: Math.max(min, max) })
    }
    case 'string': {
      const known = pools.known(name)
      if (known?.length) return fc.constantFrom(...known)
      if (s.format === 'uuid') return idArb(pools, kindOfField(name))
      if (s.format === 'email') return fc.oneof(fromPool(pools.emails, fc.emailAddress()), fc.emailAddress())
      if (s.format === 'uri' || URLISH.test(name)) return fc.webUrl().filter((u) => u.length <= (s.maxLength ?? Infinity))
      if (name === 'timezone') return fc.constantFrom(...TIMEZONES)
      if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString())
      if (s.pattern) {
        try {
          return fc
            .stringMatching(new RegExp(s.pattern))
            .filter((v) => v.length >= (s.minLength ?? 0) && v.length <= (s.maxLength ?? Infinity))
        } catch {
          /* a pattern fast-check cannot invert: plain strings below */
        }
      }
      const minLength = s.minLength ?? 0
      const maxLength = Math.max(minLength, Math.min(s.maxLength ?? 60, 60))
      return fc.string({ minLength, maxLength })
    }
    case 'array': {
      // Unique items: lists of tags refuse repeats (and repeats are tried by the hostile values).
      const maxLength = Math.min(s.maxItems ?? 4, 4)
      return fc.uniqueArray(validArb(s.items ?? {}, pools, name), {
        minLength: Math.min(s.minItems ?? 0, maxLength),
        maxLength,
        selector: (v) => JSON.stringify(v),
      })
    }
    case 'object': {
      // Free-form objects (per-category fields) have rules the schema cannot say: mostly empty.
      if (!s.properties)
        return fc.oneof(
          { weight: 3, arbitrary: fc.constant({}) },
          { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
        )
      const record: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [k, v] of Object.entries(s.properties)) record[k] = validArb(v, pools, k)
      return fc.record(record, { requiredKeys: (s.required ?? []).filter((k) => k in record) })
    }
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

/** Values just outside the schema: one past each bound, the wrong type, hostile content. */
export function edgeArb(s: Schema): fc.Arbitrary<unknown> {
  const edges: unknown[] = []
  if (s.maxLength !== undefined) edges.push('x'.repeat(s.maxLength), 'x'.repeat(s.maxLength + 1), '😀'.repeat(s.maxLength))
  if (s.minLength) edges.push('x'.repeat(s.minLength - 1))
  if (s.minimum !== undefined) edges.push(s.minimum, s.minimum - 1, s.minimum - 0.5)
  if (s.maximum !== undefined) edges.push(s.maximum, s.maximum + 1, s.maximum + 0.5)
  if (s.maxItems !== undefined) edges.push(Array.from({ length: s.maxItems + 1 }, () => 'x'))
  if (s.enum?.length) edges.push(String(s.enum[0]).toUpperCase(), ` ${String(s.enum[0])}`, [s.enum[0]])
  return edges.length ? fc.oneof(fc.constantFrom(...edges), hostileValue) : hostileValue
}

/** A value for the schema with a hostile leaf here and there (each leaf: about one in `rate`). */
export function noisyArb(s: Schema, pools: Pools, rate: number, name = '', depth = 0): fc.Arbitrary<unknown> {
  const types = typesOf(s)
  let inner: fc.Arbitrary<unknown>
  if (types[0] === 'object' && s.properties && types.length === 1 && depth < 3) {
    const record: Record<string, fc.Arbitrary<unknown>> = {}
    for (const [k, v] of Object.entries(s.properties)) record[k] = noisyArb(v, pools, rate, k, depth + 1)
    inner = fc.record(record, { requiredKeys: (s.required ?? []).filter((k) => k in record) })
  } else if (types[0] === 'array' && types.length === 1 && s.items && depth < 3) {
    inner = fc.array(noisyArb(s.items, pools, rate, name, depth + 1), { maxLength: Math.min(s.maxItems ?? 4, 4) })
  } else {
    inner = validArb(s, pools, name)
  }
  return fc.oneof({ weight: rate - 1, arbitrary: inner }, { weight: 1, arbitrary: edgeArb(s) })
}

/** Breaks one thing in a valid object: drops a key, adds a stranger, retypes a field. */
export function mutateOne(value: unknown, s: Schema): fc.Arbitrary<unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return hostileValue
  const keys = Object.keys(s.properties ?? {})
  const obj = value as Record<string, unknown>
  const present = Object.keys(obj)
  return fc.oneof(
    // drop a key (required ones included)
    present.length
      ? fc.constantFrom(...present).map((k) => Object.fromEntries(Object.entries(obj).filter(([key]) => key !== k)))
      : fc.constant({}),
    // an unknown key
    fc
      .tuple(fc.oneof(hostileString, fc.constantFrom('isAdmin', 'role', 'id', 'clientId', 'matchCredits', 'isApproved')), hostileValue)
      .map(([k, v]) => {
        const copy = { ...obj }
        Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true })
        return copy
      }),
    // a known key, wrong type or hostile value
    keys.length ? fc.tuple(fc.constantFrom(...keys), hostileValue).map(([k, v]) => ({ ...obj, [k]: v })) : hostileValue,
    // not an object at all
    fc.constantFrom([obj], [], 'string', 42, null, true),
  )
}

// ---------------------------------------------------------------------------------------------
// Requests

/**
 * 'none', one of BAD_AUTH, or an app's kind of valid token, named '<app>:<kind>' by its testing
 * provider ('onedesigner:clientBroke').
 */
export type AuthKind = string

export interface FuzzRequest {
  method: string
  url: string
  headers: Record<string, string>
  payload?: string
  auth: AuthKind
  note: string
}

export interface RequestContext {
  pools: Pools
  /** Authorization header for an auth kind (n picks a variant); undefined: send none. */
  authorization(kind: AuthKind, n: number): string | undefined
  webhookSecret: string
  /** Roles the route was seen to allow (from its 403 answers), once known. */
  allowedRoles(opKey: string): string[] | undefined
  /** The apps' kinds of valid token; without it, guarded routes draw 'user' or a bad kind. */
  auth?: AuthPlan
}

export interface AuthPlan {
  /** The registered apps, whose names a payment webhook's metadata carries. */
  apps: string[]
  /** The kinds a guarded route of the app draws from, repeated by weight. */
  draw(app: string): readonly AuthKind[]
  roleOf(kind: AuthKind): string | undefined
}

/** Builds the plan from each app's draw list and the role of each of its kinds. */
export function authPlan(apps: { name: string; draw: string[]; roles: Record<string, string> }[]): AuthPlan {
  const draws = new Map(apps.map((a) => [a.name, a.draw.map((k) => `${a.name}:${k}`)]))
  const roles = new Map<string, string>(apps.flatMap((a) => Object.entries(a.roles).map(([k, r]) => [`${a.name}:${k}`, r] as const)))
  const first = apps[0]?.name ?? ''
  return {
    apps: apps.map((a) => a.name),
    // A route outside every app (the dev mailbox, the payment webhook) gets the first app's tokens.
    draw: (app) => draws.get(app) ?? draws.get(first) ?? ['user'],
    roleOf: (kind) => roles.get(kind),
  }
}

/** Mostly a token of a role the route allows, so requests get past the guard; still one in four as drawn. */
function steer(kind: AuthKind, n: number, allowed: string[] | undefined, app: string, plan: AuthPlan | undefined): AuthKind {
  const role = plan?.roleOf(kind)
  if (!plan || !role || !allowed?.length || allowed.includes(role) || n % 4 === 0) return kind
  const wanted = allowed[n % allowed.length]!
  const kinds = plan.draw(app).filter((k) => plan.roleOf(k) === wanted)
  return kinds.length ? kinds[Math.floor(n / 4) % kinds.length]! : kind
}

export const BAD_AUTH: readonly AuthKind[] = ['none', 'deletedUser', 'otherApp', 'expired', 'tampered', 'garbage']

const CONTENT_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json;;;',
  'application/json, text/plain',
  'application/jsonp',
  'application/vnd.api+json',
  'application/merge-patch+json',
  '*/*',
  'json',
  '',
  ';',
  'application/json; boundary="',
  'text/html\u00ff',
]

type Headers = Record<string, string>
const ODD_HEADERS: fc.Arbitrary<Headers> = fc.oneof(
  fc.record({ 'x-request-id': hostileString.map(headerSafe) }) as fc.Arbitrary<Headers>,
  fc.record({
    accept: fc.constantFrom('text/html', 'application/xml', '*/*;q=0', 'application/json;q=abc', '\u00ff\u00fe', 'text/event-stream'),
  }) as fc.Arbitrary<Headers>,
  fc.record({ 'accept-encoding': fc.constantFrom('gzip', 'br', 'identity;q=0', 'x'.repeat(2000)) }) as fc.Arbitrary<Headers>,
  fc.record({ 'content-encoding': fc.constantFrom('gzip', 'deflate', 'br', 'bogus') }) as fc.Arbitrary<Headers>,
  fc.record({ 'x-forwarded-for': fc.constantFrom('1.2.3.4, 5.6.7.8', 'not-an-ip', '::1', '999.999.999.999') }) as fc.Arbitrary<Headers>,
  fc.dictionary(
    fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
    hostileString.map((v) => headerSafe(v).slice(0, 8000)),
    { maxKeys: 5 },
  ),
  // A header sent twice reaches Node joined with ", ".
  fc.constantFrom<Headers>({ 'x-request-id': 'a, b' }, { accept: 'application/json, application/json' }),
)

function buildPath(op: Operation, ctx: RequestContext): fc.Arbitrary<{ path: string; note: string }> {
  const pathParams = op.params.filter((p) => p.in === 'path')
  if (!pathParams.length) return fc.constant({ path: op.path, note: '' })
  const one = (name: string) =>
    fc.oneof(
      { weight: 6, arbitrary: fromPool(() => ctx.pools.ids(kindOfPath(op.path, name)), fc.uuid()).map((v) => ({ v, note: 'real id' })) },
      { weight: 2, arbitrary: fromPool(() => ctx.pools.ids(), fc.uuid()).map((v) => ({ v, note: 'real id of any kind' })) },
      { weight: 1, arbitrary: fc.uuid().map((v) => ({ v, note: 'random uuid' })) },
      { weight: 3, arbitrary: hostileString.map((v) => ({ v: encodeAny(v), note: 'hostile id' })) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_URL_BITS).map((v) => ({ v, note: 'raw id' })) },
    )
  return fc.tuple(...pathParams.map((p) => one(p.name))).map((vals) => {
    let path = op.path
    pathParams.forEach((p, i) => (path = path.replace(`{${p.name}}`, vals[i]!.v)))
    return { path, note: vals.map((v) => v.note).join(',') }
  })
}

function buildQuery(op: Operation, ctx: RequestContext): fc.Arbitrary<string> {
  const queryParams = op.params.filter((p) => p.in === 'query')
  const documented = queryParams.map((p) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constant<[string, string][]>([]) },
      { weight: 4, arbitrary: validArb(p.schema, ctx.pools, p.name).map((v) => [[p.name, String(v)]] as [string, string][]) },
      {
        weight: 3,
        arbitrary: hostileValue.map((v) => [[p.name, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')]] as [string, string][]),
      },
      // The same parameter twice.
      {
        weight: 1,
        arbitrary: fc.tuple(validArb(p.schema, ctx.pools, p.name), hostileString).map(
          ([a, b]) =>
            [
              [p.name, String(a)],
              [p.name, b],
            ] as [string, string][],
        ),
      },
    ),
  )
  const extra = fc.array(
    fc.tuple(fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor', 'limit[]', 'a[b][c]', '')), hostileString),
    { maxLength: 3 },
  )
  const pairs = fc
    .tuple(fc.tuple(...documented), extra)
    .map(([docd, ex]) => [...docd.flat(), ...ex].map(([k, v]) => `${encodeAny(k)}=${encodeAny(v)}`))
  return fc.oneof(
    { weight: 12, arbitrary: pairs.map((p) => (p.length ? `?${p.join('&')}` : '')) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(...RAW_URL_BITS), { minLength: 1, maxLength: 5 }).map((b) => `?${b.join('')}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(`?${'a=1&'.repeat(5_000)}`, `?q=${'x'.repeat(60_000)}`, '?', '??', '?&', '?=', '?limit=1&limit=2&limit=3'),
    },
  )
}

function buildBody(op: Operation, ctx: RequestContext): fc.Arbitrary<{ payload?: string; contentType?: string; note: string }> {
  const json = (v: unknown, note: string) => ({ payload: JSON.stringify(v) ?? 'null', contentType: 'application/json', note })
  const stray = fc.oneof(
    fc.constant({ note: 'no body' }),
    fc.constantFrom(...MALFORMED_JSON).map((p) => ({ payload: p, contentType: 'application/json', note: 'malformed json' })),
    fc
      .tuple(hostileString, fc.constantFrom(...CONTENT_TYPES))
      .map(([p, ct]) => ({ payload: p, contentType: ct, note: `content-type ${ct}` })),
  )
  if (!op.body) {
    return fc.oneof(
      { weight: 8, arbitrary: fc.constant({ note: 'no body' }) },
      { weight: 2, arbitrary: stray },
      { weight: 1, arbitrary: hostileValue.map((v) => json(v, 'stray json body')) },
    )
  }
  const s = op.body
  const valid = validArb(s, ctx.pools)
  return fc.oneof(
    { weight: 8, arbitrary: valid.map((v) => json(v, 'valid body')) },
    { weight: 5, arbitrary: valid.chain((v) => mutateOne(v, s)).map((v) => json(v, 'one field broken')) },
    { weight: 4, arbitrary: noisyArb(s, ctx.pools, 4).map((v) => json(v, 'noisy body')) },
    { weight: 2, arbitrary: hostileValue.map((v) => json(v, 'hostile json')) },
    { weight: 2, arbitrary: stray },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.constantFrom(...CONTENT_TYPES))
        .map(([v, ct]) => ({ payload: JSON.stringify(v), contentType: ct, note: `valid json as ${ct}` })),
    },
    {
      weight: 1,
      arbitrary: fc.constant({ payload: `{"x":"${'y'.repeat(1_100_000)}"}`, contentType: 'application/json', note: 'over the body limit' }),
    },
  )
}

/** The payment webhook: unsigned garbage, forged signatures, and correctly signed hostile events. */
function webhookBody(ctx: RequestContext): fc.Arbitrary<{ payload?: string; contentType?: string; signature?: string; note: string }> {
  const apps = ctx.auth?.apps ?? []
  const signed = (payload: string, timestamp = Math.floor(Date.now() / 1000)) =>
    Stripe.webhooks.generateTestHeaderString({ payload, secret: ctx.webhookSecret, timestamp })
  const intent = fc.record({
    id: fc.oneof(fc.constantFrom('pi_fuzz', 'pi_local_1'), hostileString),
    object: fc.constant('payment_intent'),
    amount: fc.oneof(fc.nat(), hostileNumber),
    currency: fc.oneof(fc.constant('usd'), hostileString),
    status: fc.constantFrom('succeeded', 'canceled', 'requires_payment_method'),
    last_payment_error: fc.oneof(fc.constant(null), fc.record({ message: hostileValue })),
    metadata: fc.oneof(
      fc.record({
        app: fc.oneof(fc.constantFrom(...(apps.length ? apps : ['app'])), hostileString),
        reference: fc.oneof(
          fromPool(() => ctx.pools.ids('purchases'), fc.uuid()),
          hostileString,
        ),
        accountId: fc.oneof(
          fromPool(() => ctx.pools.ids('accounts'), fc.uuid()),
          hostileString,
        ),
      }),
      hostileValue,
    ),
  })
  const event = fc.record({
    id: fc.oneof(
      fc.string({ minLength: 1, maxLength: 20 }).map((s) => `evt_${s}`),
      hostileString,
    ),
    object: fc.constant('event'),
    type: fc.oneof(
      fc.constantFrom('payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.canceled', 'charge.refunded'),
      hostileString,
    ),
    created: fc.nat(),
    livemode: fc.boolean(),
    data: fc.oneof({ weight: 4, arbitrary: fc.record({ object: intent }) }, { weight: 1, arbitrary: hostileValue }),
  })
  return fc.oneof(
    {
      weight: 4,
      arbitrary: event
        .map((e) => JSON.stringify(e))
        .map((p) => ({ payload: p, contentType: 'application/json', signature: signed(p), note: 'signed hostile event' })),
    },
    {
      weight: 1,
      arbitrary: hostileValue
        .map((v) => JSON.stringify(v) ?? 'null')
        .map((p) => ({ payload: p, contentType: 'application/json', signature: signed(p), note: 'signed hostile json' })),
    },
    {
      weight: 1,
      arbitrary: event
        .map((e) => JSON.stringify(e))
        .map((p) => ({ payload: p, contentType: 'application/json', signature: signed(p, 1_000_000), note: 'stale signature' })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...MALFORMED_JSON), hostileString)
        .map(([p, sig]) => ({ payload: p, contentType: 'application/json', signature: headerSafe(sig), note: 'forged signature' })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...MALFORMED_JSON).map((p) => ({ payload: p, contentType: 'application/json', note: 'no signature' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(hostileString, fc.constantFrom(...CONTENT_TYPES))
        .map(([p, ct]) => ({ payload: p, contentType: ct, signature: signed(p), note: `signed ${ct}` })),
    },
  )
}

/** /v1/<app>/... */
const appOf = (path: string) => path.split('/')[2] ?? ''

export function requestArb(op: Operation, ctx: RequestContext): fc.Arbitrary<FuzzRequest> {
  // An open event stream never ends: the stream route gets only requests that must be refused.
  const isStream = op.path.endsWith('/stream')
  const app = appOf(op.path)
  const valid = ctx.auth?.draw(app) ?? ['user']
  // Deleting the caller's own account ends every session of it (docs/decisions/0019): with a
  // principal's token it would leave the rest of the run refused, so it gets only bad tokens.
  const endsCaller = op.method === 'DELETE' && op.path.endsWith('/me')
  // deletedUser is a well-signed token of a user since removed: the stream would open for it.
  const auth: fc.Arbitrary<AuthKind> = isStream
    ? fc.constantFrom(...BAD_AUTH.filter((k) => k !== 'deletedUser'))
    : endsCaller
      ? fc.constantFrom(...BAD_AUTH)
      : op.secured
        ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...BAD_AUTH) })
        : fc.constantFrom<AuthKind>('none', 'none', 'none', valid[0]!, 'garbage')
  const idempotency = op.params.find((p) => p.in === 'header' && p.name === 'idempotency-key')
  const idemArb: fc.Arbitrary<string | undefined> = idempotency
    ? fc.oneof(
        { weight: 6, arbitrary: fc.uuid() },
        { weight: 2, arbitrary: fc.constantFrom('fuzz-key-1', 'fuzz-key-2', 'fuzz-key-3') },
        { weight: 1, arbitrary: fc.constant(undefined) },
        { weight: 2, arbitrary: hostileString.map(headerSafe) },
      )
    : fc.constant(undefined)
  const isWebhook = op.path.endsWith('/webhook')
  const body = isWebhook ? webhookBody(ctx) : buildBody(op, ctx)
  const streamToken = isStream ? fc.option(hostileString, { nil: undefined }) : fc.constant(undefined)
  return fc
    .record({
      auth,
      path: buildPath(op, ctx),
      query: buildQuery(op, ctx),
      body,
      idem: idemArb,
      odd: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: ODD_HEADERS }),
      variant: fc.nat(),
      streamToken,
    })
    .map(({ auth: drawn, path, query, body, idem, odd, variant, streamToken }) => {
      const auth = steer(drawn, variant, ctx.allowedRoles(op.key), app, ctx.auth)
      const headers: Record<string, string> = { ...(odd ?? {}) }
      const authorization = ctx.authorization(auth, variant)
      if (authorization !== undefined) headers.authorization = authorization
      if (body.contentType !== undefined) headers['content-type'] = body.contentType
      if (idem !== undefined) headers['idempotency-key'] = idem
      const sig = (body as { signature?: string }).signature
      if (sig !== undefined) headers['stripe-signature'] = sig
      let url = path.path + query
      if (streamToken !== undefined) url += `${query ? '&' : '?'}access_token=${encodeAny(streamToken)}`
      return {
        method: op.method,
        url,
        headers,
        payload: body.payload,
        auth,
        note: [auth, path.note, body.note].filter(Boolean).join('; '),
      }
    })
}
