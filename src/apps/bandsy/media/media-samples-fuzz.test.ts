// Hostile requests from the OpenAPI document to the media sample routes, sent with real musician
// tokens (the shared fuzz suite holds only OneDesigner tokens, so it stops at 401 here), plus
// hostile multipart bodies to the upload. Asserts no 5xx and the one error shape.
import fc from 'fast-check'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, bearer, BANDSY, genreId } from '../../../../test/support/bandsy'
import { hostileString, operationsOf, requestArb, type RequestContext } from '../../../../test/support/fuzz-openapi'
import { multipart, uploadSample, wavFile } from '../../../../test/support/bandsy-media'
import { openApiDocument, diskStorage, ERROR_STATUS } from '../../../platform'
import { ALL_APPS } from '../../../apps'

let env: TestEnv
let root: string
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'bandsy-media-fuzz-'))
  env = await createTestEnv({ overrides: { storage: diskStorage({ root }) } })
})
afterAll(async () => {
  await env?.close()
  await fsp.rm(root, { recursive: true, force: true })
})

const expectErrorShape = (res: { statusCode: number; body: string }, note: string) => {
  expect(res.statusCode, `${note}: ${res.body.slice(0, 300)}`).toBeLessThan(500)
  if (res.statusCode >= 400) {
    const { error } = JSON.parse(res.body)
    expect(ERROR_STATUS[error.code as keyof typeof ERROR_STATUS], `${note}: ${res.body.slice(0, 300)}`).toBe(res.statusCode)
  }
}

describe('hostile input to the media sample routes', () => {
  it('generated requests with musician tokens: no 5xx, errors in the one shape', { timeout: 300_000 }, async () => {
    const p = env.platform
    const owner = await aMusician(p)
    const other = await aMusician(p)
    const ids = [
      (await uploadSample(env.http, owner, { title: 'open' })).json().id,
      (await uploadSample(env.http, owner, { title: 'closed', isPublic: 'false' })).json().id,
      owner.id,
      other.id,
      await genreId(p, 'Rock'),
    ]
    const ops = operationsOf(JSON.parse(await openApiDocument(p, ALL_APPS))).filter((o) => o.path.includes('/bandsy/media-samples'))
    expect(ops.length).toBe(6)
    const ctx: RequestContext = {
      pools: { ids: () => ids, emails: () => [], known: () => undefined },
      authorization: (kind, n) => (kind === 'none' ? undefined : `Bearer ${[owner, other][n % 2]!.token}`),
      webhookSecret: 'unused',
      allowedRoles: () => ['client'],
    }
    let sent = 0
    for (const [i, op] of ops.entries()) {
      for (const req of fc.sample(requestArb(op, ctx), { seed: 4242 + i, numRuns: 150 })) {
        const res = await env.http.inject({ method: req.method as 'GET', url: req.url, headers: req.headers, payload: req.payload })
        expectErrorShape(res, `${req.method} ${req.url} ${req.note}`)
        sent++
      }
    }
    expect(sent).toBe(900)
  })

  it('hostile multipart bodies and field values: no 5xx', { timeout: 120_000 }, async () => {
    const m = await aMusician(env.platform)
    const values = fc.sample(hostileString, { seed: 7, numRuns: 40 })
    for (const [n, v] of values.entries()) {
      const field = ['title', 'description', 'instrumentId', 'isPublic', 'genreIds', v.slice(0, 50) || 'x'][n % 6]!
      const body = multipart({ title: 'ok', [field]: v }, [
        { contentType: n % 3 ? 'audio/wav' : v.slice(0, 80), data: n % 2 ? wavFile(1) : Buffer.from(v) },
      ])
      const res = await env.http.inject({
        method: 'POST',
        url: `${BANDSY}/media-samples`,
        headers: { ...body.headers, ...bearer(m) },
        payload: body.payload,
      })
      expectErrorShape(res, `field ${JSON.stringify(field)} = ${JSON.stringify(v).slice(0, 80)}`)
    }
    // A body cut off in the middle of the file part.
    const whole = multipart({ title: 'cut' }, [{ contentType: 'audio/wav', data: wavFile(1) }])
    const cut = await env.http.inject({
      method: 'POST',
      url: `${BANDSY}/media-samples`,
      headers: { ...whole.headers, ...bearer(m) },
      payload: whole.payload.subarray(0, 400),
    })
    expectErrorShape(cut, 'truncated body')
    expect(cut.statusCode).toBeGreaterThanOrEqual(400)
  })
})
