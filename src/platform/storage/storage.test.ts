// One contract, run over both backends: what app code may rely on whichever storage is configured.
import { createHash } from 'node:crypto'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testConfig } from '../config'
import { AppError } from '../http/errors'
import { createStorage, diskStorage, s3Storage, storageKind, type Storage } from './storage'
import { startS3Stub, type S3Stub } from '../../../test/support/s3-stub'

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of body) chunks.push(Buffer.from(c))
  return Buffer.concat(chunks)
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AppError)
  return err as AppError
}

/** size bytes of a repeatable pseudo-random pattern, in 64 KiB chunks. */
function* pattern(size: number) {
  const chunk = 64 * 1024
  for (let at = 0; at < size; at += chunk) {
    const n = Math.min(chunk, size - at)
    const buf = Buffer.alloc(n)
    for (let i = 0; i < n; i++) buf[i] = ((at + i) * 31 + 7) & 0xff
    yield buf
  }
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

const BAD_KEYS = [
  '',
  '../escape',
  'a/../../b',
  '/etc/passwd',
  'a//b',
  'a/',
  'has space',
  'nul\0byte',
  '.hidden',
  'a/.meta/x',
  'ümlaut',
  'back\\slash',
  'x'.repeat(513),
]
const GOOD_KEYS = ['a.txt', 'onedesigner/portfolio/8f1c/cover-1.png', 'user_1/avatar.v2.jpg']

let root: string
let stub: S3Stub
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'matchbase-storage-'))
  stub = await startS3Stub()
})
afterAll(async () => {
  await stub.close()
  await fsp.rm(root, { recursive: true, force: true })
})

const backends: Array<[string, () => Storage]> = [
  ['disk', () => diskStorage({ root: path.join(root, 'files') })],
  [
    's3',
    () =>
      s3Storage({
        bucket: stub.bucket,
        region: 'us-east-1',
        endpoint: stub.url,
        accessKeyId: stub.accessKeyId,
        secretAccessKey: stub.secretAccessKey,
        forcePathStyle: true,
        partSizeBytes: 5 * 1024 * 1024,
      }),
  ],
]

describe.each(backends)('%s storage contract', (kind, make) => {
  let storage: Storage
  beforeAll(() => {
    storage = make()
  })

  it('reports its kind', () => {
    expect(storage.kind).toBe(kind)
  })

  it('puts, gets, tells existence and deletes a file', async () => {
    const body = Buffer.from('hello, storage')
    expect(await storage.put('docs/hello.txt', body, { contentType: 'text/plain; charset=utf-8' })).toEqual({
      key: 'docs/hello.txt',
      size: body.length,
    })
    expect(await storage.exists('docs/hello.txt')).toBe(true)
    const got = await storage.get('docs/hello.txt')
    expect(got).toMatchObject({ size: body.length, contentType: 'text/plain; charset=utf-8' })
    expect(await readAll(got!.body)).toEqual(body)
    await storage.delete('docs/hello.txt')
    expect(await storage.exists('docs/hello.txt')).toBe(false)
    expect(await storage.get('docs/hello.txt')).toBeUndefined()
  })

  it('answers undefined / false for a missing key, and deleting one is not an error', async () => {
    expect(await storage.get('never/written.bin')).toBeUndefined()
    expect(await storage.exists('never/written.bin')).toBe(false)
    await expect(storage.delete('never/written.bin')).resolves.toBeUndefined()
  })

  it('replaces a file and its content type on a second put', async () => {
    await storage.put('replace/me', Buffer.from('first, longer body'), { contentType: 'text/plain' })
    await storage.put('replace/me', Buffer.from('{"second":1}'), { contentType: 'application/json' })
    const got = await storage.get('replace/me')
    expect(got?.contentType).toBe('application/json')
    expect((await readAll(got!.body)).toString()).toBe('{"second":1}')
  })

  it('streams a file of several megabytes in and out unchanged', async () => {
    const size = 6 * 1024 * 1024 + 123
    const expected = Buffer.concat([...pattern(size)])
    const put = await storage.put('big/blob.bin', Readable.from(pattern(size)), { contentType: 'application/octet-stream' })
    expect(put).toEqual({ key: 'big/blob.bin', size })
    const got = await storage.get('big/blob.bin')
    expect(got?.size).toBe(size)
    expect(sha(await readAll(got!.body))).toBe(sha(expected))
  })

  it('keeps nothing when the incoming stream fails', async () => {
    const failing = Readable.from(
      (async function* () {
        yield Buffer.alloc(1024, 1)
        throw new Error('client went away')
      })(),
    )
    await expect(storage.put('broken/upload.bin', failing, { contentType: 'application/octet-stream' })).rejects.toThrow()
    expect(await storage.exists('broken/upload.bin')).toBe(false)
  })

  it.each(BAD_KEYS)('refuses the key %j on every operation', async (key) => {
    for (const op of [
      storage.put(key, Buffer.from('x'), { contentType: 'text/plain' }),
      storage.get(key),
      storage.exists(key),
      storage.delete(key),
      storage.url(key),
    ]) {
      expect((await rejection(op)).code).toBe('validation_failed')
    }
  })

  it('accepts keys made of letters, digits and / _ . -', async () => {
    for (const key of GOOD_KEYS) {
      await storage.put(key, Buffer.from(key), { contentType: 'image/png' })
      expect((await readAll((await storage.get(key))!.body)).toString()).toBe(key)
    }
  })

  it('refuses a content type that is not a media type', async () => {
    for (const contentType of ['', 'png', 'text/plain\r\nx-evil: 1']) {
      expect((await rejection(storage.put('ct.txt', Buffer.from('x'), { contentType }))).code).toBe('validation_failed')
    }
  })

  it('gives a URL a client can fetch the file from', async () => {
    await storage.put('pics/cat.png', Buffer.from('not really a png'), { contentType: 'image/png' })
    const url = await storage.url('pics/cat.png')
    if (kind === 'disk') {
      expect(url).toBe('/v1/files/pics/cat.png')
    } else {
      expect(url).toMatch(/X-Amz-Algorithm=AWS4-HMAC-SHA256/)
      const res = await fetch(url)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('image/png')
      expect(await res.text()).toBe('not really a png')
    }
  })
})

describe('choosing a storage', () => {
  it('is disk under DATA_DIR/files by default, STORAGE_DIR when set, S3 when a bucket is set', () => {
    const byDefault = createStorage(testConfig({ DATA_DIR: '/srv/matchbase' })) as Storage & { root: string }
    expect(byDefault.kind).toBe('disk')
    expect(byDefault.root).toBe(path.resolve('/srv/matchbase/files'))
    expect((createStorage(testConfig({ STORAGE_DIR: '/mnt/files' })) as Storage & { root: string }).root).toBe('/mnt/files')
    const s3 = testConfig({ STORAGE_S3_BUCKET: 'b', STORAGE_S3_ACCESS_KEY_ID: 'k', STORAGE_S3_SECRET_ACCESS_KEY: 's' })
    expect(storageKind(s3)).toBe('s3')
    expect(createStorage(s3).kind).toBe('s3')
  })

  it('refuses half a set of S3 credentials', () => {
    expect(() => createStorage(testConfig({ STORAGE_S3_BUCKET: 'b', STORAGE_S3_ACCESS_KEY_ID: 'k' }))).toThrow(/together/)
  })

  it('defaults to path-style addressing when an endpoint is given', async () => {
    const withEndpoint = createStorage(
      testConfig({
        STORAGE_S3_BUCKET: 'b',
        STORAGE_S3_ENDPOINT: 'http://127.0.0.1:9000',
        STORAGE_S3_ACCESS_KEY_ID: 'k',
        STORAGE_S3_SECRET_ACCESS_KEY: 's',
      }),
    )
    expect(await withEndpoint.url('x.png')).toMatch(/^http:\/\/127\.0\.0\.1:9000\/b\/x\.png\?/)
    const aws = createStorage(
      testConfig({
        STORAGE_S3_BUCKET: 'my-bucket',
        STORAGE_S3_REGION: 'eu-west-1',
        STORAGE_S3_ACCESS_KEY_ID: 'k',
        STORAGE_S3_SECRET_ACCESS_KEY: 's',
      }),
    )
    expect(await aws.url('x.png')).toMatch(/^https:\/\/my-bucket\.s3\.eu-west-1\.amazonaws\.com\/x\.png\?/)
  })
})
