// Named zod schemas (`.meta({ id })`) become components of the OpenAPI document, referenced by
// $ref instead of inlined at every use. fastify-type-provider-zod writes every named schema twice
// (`X` for responses, `XInput` for requests); only the ones an operation reaches are kept.
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod'

type TransformObject = typeof jsonSchemaTransformObject
type Doc = { paths?: unknown; components?: { schemas?: Record<string, unknown> } }

const PREFIX = '#/components/schemas/'

export const usedComponentsOnly: TransformObject = (input) => {
  const doc = jsonSchemaTransformObject(input) as Doc
  const all = doc.components?.schemas
  if (!all) return doc as ReturnType<TransformObject>
  const used = new Set<string>()
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit)
    if (!node || typeof node !== 'object') return
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(PREFIX)) {
        const id = value.slice(PREFIX.length)
        if (!used.has(id)) {
          used.add(id)
          visit(all[id])
        }
      } else visit(value)
    }
  }
  visit(doc.paths)
  const schemas = Object.fromEntries([...used].sort().map((id) => [id, all[id]]))
  return { ...doc, components: { ...doc.components, schemas } } as ReturnType<TransformObject>
}

