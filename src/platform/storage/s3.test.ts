// What only the S3 adapter does: multipart for large streams, signed requests, upstream failures.
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../http/errors'
import { s3Storage, type S3StorageOptions } from './s3'
import { startS3Stub, type S3Stub } from '../../../test/support/s3-stub'

let stub: S3Stub
const options = (o: Partial<S3StorageOptions> = {}): S3StorageOptions => ({
  bucket: stub.bucket,
  region: 'us-east-1',
  endpoint: stub.url,
  accessKeyId: stub.accessKeyId,
  secretAccessKey: stub.secretAccessKey,
  forcePathStyle: true,
  partSizeBytes: 5 * 1024 * 1024,
  ...o,
})
beforeAll(async () => {
  stub = await startS3Stub()
})
afterAll(() => stub.close())

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AppError)
  return err as AppError
}

describe('S3 storage adapter', () => {
  it('sends a large stream as a multipart upload and a small one as a single PutObject', async () => {
    const storage = s3Storage(options())
    stub.requests.length = 0
    const big = Buffer.alloc(11 * 1024 * 1024, 7)
    await storage.put('multi/part.bin', Readable.from([big.subarray(0, 3_000_000), big.subarray(3_000_000)]), {
      contentType: 'application/octet-stream',
    })
    const ops = stub.requests.map((r) => r.operation)
    expect(ops.filter((o) => o === 'UploadPart')).toHaveLength(3)
    expect(ops).toContain('CompleteMultipartUpload')
    expect(stub.objects.get('multi/part.bin')?.body.equals(big)).toBe(true)

    stub.requests.length = 0
    await storage.put('single/small.txt', Readable.from([Buffer.from('small')]), { contentType: 'text/plain' })
    expect(stub.requests.map((r) => r.operation)).toEqual(['PutObject'])
    expect(stub.objects.get('single/small.txt')).toEqual({ body: Buffer.from('small'), contentType: 'text/plain' })
  })

  it('addresses objects path-style: /bucket/key', async () => {
    const storage = s3Storage(options())
    stub.requests.length = 0
    await storage.exists('some/key.txt')
    expect(stub.requests).toEqual([{ method: 'HEAD', path: `/${stub.bucket}/some/key.txt`, operation: 'HeadObject' }])
  })

  it('the stub refuses unsigned requests, so every call above was signed', async () => {
    const res = await fetch(`${stub.url}/${stub.bucket}/multi/part.bin`)
    expect(res.status).toBe(403)
    expect(await res.text()).toMatch(/AccessDenied/)
  })

  it('reports refused requests as upstream_failed (502)', async () => {
    const foreign = s3Storage(options({ accessKeyId: 'AKIAOTHER', secretAccessKey: 'other' }))
    const err = await rejection(foreign.get('multi/part.bin'))
    expect(err.code).toBe('upstream_failed')
    expect(err.message).toMatch(/AccessDenied|403/)
    // A wrong bucket is a misconfiguration, not a missing file.
    expect((await rejection(s3Storage(options({ bucket: 'no-such-bucket' })).get('x'))).code).toBe('upstream_failed')
  })

  it('reports an unreachable endpoint as unavailable (503)', async () => {
    const down = await startS3Stub()
    const url = down.url
    await down.close()
    const storage = s3Storage(options({ endpoint: url }))
    const err = await rejection(storage.put('x.txt', Buffer.from('x'), { contentType: 'text/plain' }))
    expect(err.code).toBe('unavailable')
    expect(err.status).toBe(503)
  })
})
