// What only the disk backend promises: plain files under its folder, atomic replacement, no debris.
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppError } from '../http/errors'
import { diskStorage } from './disk'

let base: string
let root: string
beforeEach(async () => {
  base = await fsp.mkdtemp(path.join(os.tmpdir(), 'matchbase-disk-'))
  root = path.join(base, 'files')
})
afterEach(() => fsp.rm(base, { recursive: true, force: true }))

async function text(storage: ReturnType<typeof diskStorage>, key: string) {
  const got = await storage.get(key)
  const chunks: Buffer[] = []
  for await (const c of got!.body) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString()
}

describe('disk storage', () => {
  it('creates its folder on first write, stores plain files at their key and leaves no temp files', async () => {
    const storage = diskStorage({ root })
    await expect(fsp.stat(root)).rejects.toThrow()
    await storage.put('a/b/c.txt', Buffer.from('abc'), { contentType: 'text/plain' })
    expect(await fsp.readFile(path.join(root, 'a/b/c.txt'), 'utf8')).toBe('abc')
    expect(await fsp.readdir(path.join(root, '.tmp'))).toEqual([])
  })

  it('cleans up the temp file when a stream fails part-way', async () => {
    const storage = diskStorage({ root })
    const failing = Readable.from(
      (async function* () {
        yield Buffer.alloc(4096, 1)
        throw new Error('client went away')
      })(),
    )
    await expect(storage.put('x.bin', failing, { contentType: 'application/octet-stream' })).rejects.toThrow(/went away/)
    expect(await fsp.readdir(path.join(root, '.tmp'))).toEqual([])
    expect(await storage.exists('x.bin')).toBe(false)
  })

  it('never writes outside its folder, whatever the key', async () => {
    const storage = diskStorage({ root })
    for (const key of ['../outside.txt', '../../tmp/evil', '/tmp/evil', 'a/../../outside.txt']) {
      await expect(storage.put(key, Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow(AppError)
    }
    expect(await fsp.readdir(base)).toEqual([])
  })

  it('readers see the whole old file or the whole new one while it is replaced', async () => {
    const storage = diskStorage({ root })
    const a = 'A'.repeat(200_000)
    const b = 'B'.repeat(300_000)
    await storage.put('doc.txt', Buffer.from(a), { contentType: 'text/plain' })
    const seen = new Set<string>()
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => storage.put('doc.txt', Buffer.from(i % 2 ? a : b), { contentType: 'text/plain' })),
      ...Array.from({ length: 20 }, async () => seen.add(await text(storage, 'doc.txt'))),
    ])
    for (const body of seen) expect([a, b]).toContain(body)
  })

  it('a key that clashes with a folder is a conflict, not a crash', async () => {
    const storage = diskStorage({ root })
    await storage.put('a/b', Buffer.from('x'), { contentType: 'text/plain' })
    const err = await storage.put('a', Buffer.from('y'), { contentType: 'text/plain' }).catch((e: AppError) => e)
    expect(err).toMatchObject({ code: 'conflict' })
    expect(await storage.get('a')).toBeUndefined()
    expect(await storage.exists('a')).toBe(false)
    expect(await storage.get('a/b/c')).toBeUndefined()
  })

  it('serves URLs under its public path', async () => {
    expect(await diskStorage({ root, publicPath: '/v1/onedesigner/files/' }).url('p/q.png')).toBe('/v1/onedesigner/files/p/q.png')
  })
})
