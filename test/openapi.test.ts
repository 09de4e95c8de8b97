// The checked-in OpenAPI document must match the routes, so API changes show in review.
// After changing a route: npm run openapi:write
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from './support/test-env'
import { openApiDocument, OPENAPI_PATH } from '../src/platform/http/openapi'
import { ALL_APPS } from '../src/apps'
import { dereference } from './support/openapi-deref'

describe('OpenAPI document', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  it(`${OPENAPI_PATH} is up to date (run: npm run openapi:write)`, async () => {
    const current = await openApiDocument(env.platform, ALL_APPS)
    const stored = fs.existsSync(OPENAPI_PATH) ? fs.readFileSync(OPENAPI_PATH, 'utf8') : ''
    expect(stored, `${OPENAPI_PATH} is stale: run npm run openapi:write`).toBe(current)
  })

  it('documents every route under /v1 with an error response and a summary', async () => {
    const doc = JSON.parse(await openApiDocument(env.platform, ALL_APPS))
    const problems: string[] = []
    for (const [path, ops] of Object.entries<Record<string, { summary?: string; responses?: Record<string, unknown> }>>(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!op.summary) problems.push(`${method.toUpperCase()} ${path}: no summary`)
        if (!Object.keys(op.responses ?? {}).some((s) => s.startsWith('4')))
          problems.push(`${method.toUpperCase()} ${path}: no 4xx response`)
      }
    }
    expect(problems).toEqual([])
  })

  it('names shared schemas once, as components every $ref resolves to and some operation uses', () => {
    const doc = JSON.parse(fs.readFileSync(OPENAPI_PATH, 'utf8'))
    const components = Object.keys(doc.components.schemas)
    expect(components).toContain('Error')
    const refs = new Set([...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]))
    expect([...refs].filter((r) => !components.includes(r))).toEqual([])
    expect(components.filter((c) => !refs.has(c))).toEqual([])
    expect(() => dereference(doc)).not.toThrow()
  })
})
