// The same upload, download and delete with platform.storage on S3 (the in-process S3 stub):
// the sample code does not depend on which backend is configured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, bearer, BANDSY } from '../../../../test/support/bandsy'
import { uploadSample, wavFile } from '../../../../test/support/bandsy-media'
import { s3Storage } from '../../../platform'
import { startS3Stub, type S3Stub } from '../../../../test/support/s3-stub'

let env: TestEnv
let stub: S3Stub

beforeAll(async () => {
  stub = await startS3Stub()
  const storage = s3Storage({
    bucket: stub.bucket,
    region: 'us-east-1',
    endpoint: stub.url,
    accessKeyId: stub.accessKeyId,
    secretAccessKey: stub.secretAccessKey,
    forcePathStyle: true,
  })
  env = await createTestEnv({ overrides: { storage } })
})
afterAll(async () => {
  await env?.close()
  await stub?.close()
})

describe('media samples on S3 storage', () => {
  it('uploads to the bucket, streams back with a range, and deleting the sample deletes the object', async () => {
    const m = await aMusician(env.platform)
    const res = await uploadSample(env.http, m, { title: 'On S3' })
    expect(res.statusCode, res.body).toBe(201)
    const { id, duration } = res.json()
    expect(duration).toBe(3)
    const key = `bandsy/samples/${m.id}/${id}.wav`
    expect(stub.objects.get(key)).toEqual({ body: wavFile(3), contentType: 'audio/wav' })

    const file = await env.http.inject({ method: 'GET', url: `${BANDSY}/media-samples/${id}/file`, headers: bearer(m) })
    expect(file.statusCode).toBe(200)
    expect(file.headers['content-type']).toBe('audio/wav')
    expect(file.rawPayload.equals(wavFile(3))).toBe(true)
    const part = await env.http.inject({
      method: 'GET',
      url: `${BANDSY}/media-samples/${id}/file`,
      headers: { ...bearer(m), range: 'bytes=-4' },
    })
    expect(part.statusCode).toBe(206)
    expect(part.rawPayload.equals(wavFile(3).subarray(-4))).toBe(true)

    const del = await env.http.inject({ method: 'DELETE', url: `${BANDSY}/media-samples/${id}`, headers: bearer(m) })
    expect(del.statusCode).toBe(204)
    expect(stub.objects.has(key)).toBe(false)
  })

  it('a failed insert removes the object it had stored', async () => {
    const m = await aMusician(env.platform)
    const res = await uploadSample(env.http, m, { title: 'x', instrumentId: '00000000-0000-4000-8000-000000000000' })
    expect(res.statusCode).toBe(404)
    expect([...stub.objects.keys()].filter((k) => k.includes(m.id))).toEqual([])
  })
})
