// The per-user storage quota (STORAGE_QUOTA_BYTES_PER_USER, issue 10 item 9): an upload that
// would take a musician past it is refused with 413 naming the quota; deleting makes room.
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, bearer, BANDSY } from '../../../../test/support/bandsy'
import { uploadSample, wavFile } from '../../../../test/support/bandsy-media'
import { diskStorage } from '../../../platform'

const FILE = { contentType: 'audio/wav', data: wavFile(2), filename: 'take.wav' }
/** Room for two files of this size, not three. */
const QUOTA = Math.floor(FILE.data.length * 2.5)

describe('storage quota per user', () => {
  let env: TestEnv
  let root: string
  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'bandsy-quota-'))
    env = await createTestEnv({ config: { STORAGE_QUOTA_BYTES_PER_USER: String(QUOTA) }, overrides: { storage: diskStorage({ root }) } })
  })
  afterAll(async () => {
    await env?.close()
    await fsp.rm(root, { recursive: true, force: true })
  })

  it('refuses an upload past the quota with 413 naming it, stores nothing, and makes room after a delete', async () => {
    const alice = await aMusician(env.platform)
    const file = FILE
    const first = await uploadSample(env.http, alice, { title: 'One' }, file)
    expect(first.statusCode, first.body).toBe(201)
    expect((await uploadSample(env.http, alice, { title: 'Two' }, file)).statusCode).toBe(201)
    const third = await uploadSample(env.http, alice, { title: 'Three' }, file)
    expect(third.statusCode).toBe(413)
    expect(third.json().error).toMatchObject({ code: 'quota_exceeded', details: { quotaBytes: QUOTA } })
    expect(third.json().error.message).toMatch(/Storage quota of \d+\.\d MB per user/)
    expect(await fsp.readdir(path.join(root, 'bandsy/samples', alice.id))).toHaveLength(2)

    // Another musician has a quota of their own.
    const bob = await aMusician(env.platform)
    expect((await uploadSample(env.http, bob, { title: 'Bob' }, file)).statusCode).toBe(201)

    const del = await env.http.inject({ method: 'DELETE', url: `${BANDSY}/media-samples/${first.json().id}`, headers: bearer(alice) })
    expect(del.statusCode).toBe(204)
    expect((await uploadSample(env.http, alice, { title: 'Three again' }, file)).statusCode).toBe(201)
  })
})
