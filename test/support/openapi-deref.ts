// Inlines every `#/components/schemas/...` reference of an OpenAPI document, so code that walks
// schemas (the fuzz generator, response validators, the equivalence check) sees them whole.
// Sibling keys of a $ref (OpenAPI 3.1 allows them) win over the component's.

const PREFIX = '#/components/schemas/'

export function dereference<T>(doc: T): T {
  const components = ((doc as { components?: { schemas?: Record<string, unknown> } }).components?.schemas ?? {}) as Record<string, unknown>
  const inline = (node: unknown, seen: readonly string[]): unknown => {
    if (Array.isArray(node)) return node.map((n) => inline(n, seen))
    if (!node || typeof node !== 'object') return node
    const { $ref, ...rest } = node as Record<string, unknown>
    const own = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, inline(v, seen)]))
    if (typeof $ref !== 'string' || !$ref.startsWith(PREFIX)) return $ref === undefined ? own : { $ref, ...own }
    const id = $ref.slice(PREFIX.length)
    if (!(id in components)) throw new Error(`Unresolved $ref ${$ref}`)
    if (seen.includes(id)) throw new Error(`Recursive schema ${id}: cannot inline`)
    return { ...(inline(components[id], [...seen, id]) as object), ...own }
  }
  const { components: c, ...rest } = doc as Record<string, unknown> & { components?: Record<string, unknown> }
  const out = inline(rest, []) as Record<string, unknown>
  if (c) {
    const { schemas: _schemas, ...other } = c
    out.components = other
  }
  return out as T
}
