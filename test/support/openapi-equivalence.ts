// Shows that docs/openapi.json changed only in form between two versions: both are dereferenced
// ($ref components inlined) and every operation is compared with its parameters, request body and
// responses. Prints the differences; exits 1 on any that is not listed in EXPECTED.
//   npx tsx test/support/openapi-equivalence.ts OLD_REV [NEW_REV]
// Without NEW_REV the working tree's file is the new version (run npm run openapi:write first).
import fs from 'node:fs'
import { execFileSync } from 'node:child_process'
import { isDeepStrictEqual } from 'node:util'
import { dereference } from './openapi-deref'

const OPENAPI_PATH = 'docs/openapi.json'

type Json = unknown
type Response = { description?: string; content?: Record<string, { schema?: Record<string, Json> }> }
type Doc = { paths: Record<string, Record<string, Record<string, Json>>>; components?: { schemas?: Record<string, Json> } }

/** Differences made on purpose, as "<METHOD> <path> <where>". */
const EXPECTED: Record<string, string> = {
  // The guard's hook documents 400 where a route takes input (params, query, body, headers, or a
  // method with a body); these GETs take none and could never answer 400.
  'GET /v1/onedesigner/designers/me responses.400 removed': 'no input',
  'GET /v1/onedesigner/designers/me/stats responses.400 removed': 'no input',
  'GET /v1/bandsy/me responses.400 removed': 'no input',
  'GET /v1/bandsy/me/match-profile responses.400 removed': 'no input',
  'GET /v1/bandsy/catalogue responses.400 removed': 'no input',
  // A POST without a body schema still parses a JSON body, and malformed JSON is a 400.
  'POST /v1/onedesigner/notifications/read-all responses.400 added': 'malformed JSON body',
  'POST /v1/bandsy/subscription/cancel responses.400 added': 'malformed JSON body',
}

const [oldRev, newRev] = process.argv.slice(2)
if (!oldRev) throw new Error('usage: openapi-equivalence.ts OLD_REV [NEW_REV]')
const read = (rev?: string) =>
  JSON.parse(
    rev
      ? execFileSync('git', ['show', `${rev}:${OPENAPI_PATH}`], { encoding: 'utf8', maxBuffer: 1 << 28 })
      : fs.readFileSync(OPENAPI_PATH, 'utf8'),
  ) as Doc
const before = read(oldRev)
const after = read(newRev)

// Form only: a name that used to ride along as a description is now the component's key.
const names = new Set(Object.keys(after.components?.schemas ?? {}).map((id) => id.replace(/Input$/, '')))
const oldForm = normalize(dereference(before), (key, value) => key === 'description' && typeof value === 'string' && names.has(value))
const newForm = normalize(dereference(after), () => false)
// Form only: @fastify/swagger titled a response with no description "Default Response"; a named
// schema's response is titled with its name.
for (const [path, ops] of Object.entries(after.paths))
  for (const [method, op] of Object.entries(ops))
    for (const [status, r] of Object.entries((op.responses ?? {}) as Record<string, Response>)) {
      const ref = r.content?.['application/json']?.schema?.$ref
      const old = (oldForm.paths[path]?.[method]?.responses as Record<string, Response> | undefined)?.[status]
      if (typeof ref === 'string' && ref.endsWith(`/${r.description}`) && old?.description === 'Default Response')
        old.description = r.description
    }

const differences: string[] = []
for (const path of new Set([...Object.keys(oldForm.paths), ...Object.keys(newForm.paths)])) {
  for (const method of new Set([...Object.keys(oldForm.paths[path] ?? {}), ...Object.keys(newForm.paths[path] ?? {})])) {
    const a = oldForm.paths[path]?.[method]
    const b = newForm.paths[path]?.[method]
    const op = `${method.toUpperCase()} ${path}`
    if (!a || !b) {
      differences.push(`${op} ${a ? 'removed' : 'added'}`)
      continue
    }
    for (const part of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (part === 'responses') {
        const ra = a.responses as Record<string, Json>
        const rb = b.responses as Record<string, Json>
        for (const status of new Set([...Object.keys(ra), ...Object.keys(rb)]))
          if (!isDeepStrictEqual(ra[status], rb[status]))
            differences.push(`${op} responses.${status}${!ra[status] ? ' added' : !rb[status] ? ' removed' : ' changed'}`),
              explain(ra[status], rb[status])
      } else if (!isDeepStrictEqual(a[part], b[part])) differences.push(`${op} ${part} changed`), explain(a[part], b[part])
    }
  }
}

const lines = (d: Doc) => JSON.stringify(d, null, 2).split('\n').length
console.log(
  `${OPENAPI_PATH} at ${oldRev}: ${lines(before)} lines; at ${newRev ?? 'the working tree'}: ${lines(after)} lines, ${names.size} components`,
)
console.log(`${Object.values(newForm.paths).reduce((n, ops) => n + Object.keys(ops).length, 0)} operations compared after dereferencing`)
const unexpected = differences.filter((d) => !(d in EXPECTED))
for (const d of differences) console.log(`${d in EXPECTED ? 'expected' : 'DIFFERENT'}: ${d}${d in EXPECTED ? ` (${EXPECTED[d]})` : ''}`)
console.log(unexpected.length ? `${unexpected.length} unexpected differences` : 'equivalent (apart from the expected differences listed)')
process.exit(unexpected.length ? 1 : 0)

/**
 * Tags in one style per app (`<app>: <concept>`, the app taken from the path), and the
 * description @fastify/swagger lifts from an inline response schema to the response: dropped
 * from the schema when the response carries it.
 */
function normalize(doc: Doc, drop: (key: string, value: Json) => boolean): Doc {
  const strip = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(strip)
    if (!node || typeof node !== 'object') return node
    // `const: x` and `enum: [x]` say the same; @fastify/swagger writes the second for inline schemas.
    const { const: only, ...rest } = node as Record<string, Json>
    const same = only === undefined ? rest : { ...rest, enum: [only] }
    return Object.fromEntries(
      Object.entries(same)
        .filter(([k, v]) => !drop(k, v))
        .map(([k, v]) => [k, strip(v)]),
    )
  }
  const paths: Doc['paths'] = {}
  for (const [path, ops] of Object.entries(doc.paths)) {
    const app = /^\/v1\/([^/]+)\//.exec(path)?.[1]
    paths[path] = {}
    for (const [method, op] of Object.entries(ops)) {
      const o = strip(op) as Record<string, Json>
      if (app && Array.isArray(o.tags)) o.tags = o.tags.map((t: string) => `${app}: ${t.replace(/^[A-Za-z]+: /, '')}`)
      const original = (op.responses ?? {}) as Record<string, Response>
      for (const [status, r] of Object.entries((o.responses ?? {}) as Record<string, Response>)) {
        // A response's own title is not a schema's name-as-description: keep it.
        r.description = original[status]?.description
        const schema = r.content?.['application/json']?.schema
        if (schema && schema.description === r.description) delete schema.description
      }
      paths[path][method] = o
    }
  }
  return { ...doc, paths }
}

/** With VERBOSE=1, where two values first differ. */
function explain(a: Json, b: Json, at = ''): boolean {
  if (isDeepStrictEqual(a, b)) return false
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
      if (explain((a as Record<string, Json>)[k], (b as Record<string, Json>)[k], `${at}/${k}`)) return true
    return false
  }
  if (process.env.VERBOSE) console.log(`  at ${at || '/'}: ${JSON.stringify(a)?.slice(0, 300)} -> ${JSON.stringify(b)?.slice(0, 300)}`)
  return true
}
