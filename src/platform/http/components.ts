// Named zod schemas (`.meta({ id })`) become components of the OpenAPI document, referenced by
// $ref instead of inlined at every use. fastify-type-provider-zod writes every named schema twice
// (`X` for responses, `XInput` for requests); only the ones an operation reaches are kept.
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod'

type TransformObject = typeof jsonSchemaTransformObject
type Schema = Record<string, unknown>
type Response = { description?: string; content?: Record<string, { schema?: Schema }> }
type Doc = {
  paths?: Record<string, Record<string, { responses?: Record<string, Response> }>>
  components?: { schemas?: Record<string, Schema> }
}

const PREFIX = '#/components/schemas/'
// What @fastify/swagger writes when a response schema has no description of its own.
const DEFAULT_DESCRIPTION = 'Default Response'

export const usedComponentsOnly: TransformObject = (input) => {
  const doc = jsonSchemaTransformObject(input) as Doc
  const all = doc.components?.schemas
  if (!all) return doc as ReturnType<TransformObject>
  const used = new Set<string>()
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item)
      return
    }
    if (!node || typeof node !== 'object') return
    for (const [key, value] of Object.entries(node)) {
      const id = key === '$ref' ? refId(value) : undefined
      if (id === undefined) visit(value)
      else if (!used.has(id)) {
        used.add(id)
        visit(all[id])
      }
    }
  }
  visit(doc.paths)
  const schemas = Object.fromEntries(
    [...used].sort().map((id) => {
      // The component's place in the document is its identity; zod's standalone-schema markers would
      // only confuse validators reading the document (a fragment $id is not allowed in 2020-12).
      const { $schema: _schema, $id: _id, ...schema } = all[id] ?? {}
      return [id, schema]
    }),
  )
  describeResponses(doc, schemas)
  return { ...doc, components: { ...doc.components, schemas } } as ReturnType<TransformObject>
}

/**
 * @fastify/swagger titles a response with its schema's description, which it cannot see behind a
 * $ref: the named schema's description (or, failing one, its name) titles it instead.
 */
function describeResponses(doc: Doc, schemas: Record<string, Schema>) {
  for (const ops of Object.values(doc.paths ?? {}))
    for (const op of Object.values(ops))
      for (const response of Object.values(op.responses ?? {})) {
        if (response.description !== DEFAULT_DESCRIPTION) continue
        const id = refId(response.content?.['application/json']?.schema?.$ref)
        if (id === undefined) continue
        const description = schemas[id]?.description
        response.description = typeof description === 'string' ? description : id
      }
}

function refId(ref: unknown): string | undefined {
  return typeof ref === 'string' && ref.startsWith(PREFIX) ? ref.slice(PREFIX.length) : undefined
}
