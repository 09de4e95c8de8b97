// One policy for input the route does not know: refused. Every body and query string a route
// validates is checked after its schema parsed it: a key of the input (at any depth) that the
// parsed value no longer has was dropped as unknown, and the request is answered 400 naming it
// (docs/decisions/0020-abuse-limits.md). Free-form values (z.record) keep their keys, so they pass.
// Routes under /v1 that declare no query string take none.
import type { FastifySchemaCompiler, RouteOptions } from 'fastify'
import { validatorCompiler } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from './errors'
import { errorSchema } from './server'

/** A JSON object or a parsed query (whose prototype has a null prototype), not a Date or Buffer. */
const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object') return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null || Object.getPrototypeOf(proto) === null
}

/** Paths (dot-separated) of keys in input that are missing from what the schema made of it. */
export function unknownKeys(input: unknown, output: unknown, path: string[] = []): string[] {
  if (Array.isArray(input))
    return Array.isArray(output) && output.length === input.length
      ? input.flatMap((v, i) => unknownKeys(v, output[i], [...path, String(i)]))
      : []
  if (!isPlainObject(input) || !isPlainObject(output)) return []
  const found: string[] = []
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(output, key)) found.push([...path, key].join('.'))
    else found.push(...unknownKeys(input[key], output[key], [...path, key]))
  }
  return found
}

const STRICT_PARTS = new Set(['body', 'querystring'])

export const strictValidatorCompiler: FastifySchemaCompiler<z.ZodType> = (route) => {
  const validate = validatorCompiler(route as Parameters<typeof validatorCompiler>[0])
  if (!STRICT_PARTS.has(route.httpPart ?? '')) return validate
  const part = route.httpPart as 'body' | 'querystring'
  return (data: unknown) => {
    const result = validate(data) as { value?: unknown; error?: Error }
    if (result.error) return result
    const unknown = unknownKeys(data, result.value)
    if (!unknown.length) return result
    const details = unknown.map((field) => ({ field: `${part}.${field}`, message: 'unknown field' }))
    return {
      error: new AppError(
        'validation_failed',
        `${details.map((d) => d.field).join(', ')}: unknown ${part === 'querystring' ? 'parameter' : 'field'}${unknown.length > 1 ? 's' : ''}; this route does not take ${unknown.length > 1 ? 'them' : 'it'}`,
        details,
      ),
    }
  }
}

const noQuery = z.object({})

/** Routes under /v1 without a query-string schema get an empty one: they take no parameters. */
export function strictQueries(http: { addHook(name: 'onRoute', fn: (route: RouteOptions) => void): unknown }) {
  http.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/v1/') || route.schema?.querystring !== undefined) return
    // A route that validates by itself (multipart) keeps its own rules.
    if (route.validatorCompiler) return
    const response = { ...(route.schema?.response as Record<string, unknown> | undefined) }
    response[400] ??= errorSchema
    route.schema = { ...route.schema, querystring: noQuery, response }
  })
}
