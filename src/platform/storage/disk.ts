// Files on local disk (the default). Layout under root:
//   <key>               the bytes
//   .meta/<key>.json    { contentType }, kept beside rather than guessed from the name
//   .tmp/               files being written; renamed into place so readers never see half a file
// Keys cannot start a segment with ".", so no key can reach .meta or .tmp.
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { AppError } from '../http/errors'
import { assertContentType, assertValidKey } from './keys'
import type { Storage, StoredFile } from './types'

export interface DiskStorageOptions {
  /** Folder that holds the files; created on first write. */
  root: string
  /** Path prefix of the API route that serves files; url(key) = `${publicPath}/${key}`. */
  publicPath?: string
}

const FALLBACK_TYPE = 'application/octet-stream'
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'EISDIR'])

export function diskStorage(opts: DiskStorageOptions): Storage & { root: string } {
  const root = path.resolve(opts.root)
  const publicPath = (opts.publicPath ?? '/v1/files').replace(/\/+$/, '')
  const tmpDir = path.join(root, '.tmp')

  function paths(key: string) {
    assertValidKey(key)
    const file = path.join(root, key)
    // Belt and braces: validation already rules this out.
    if (!file.startsWith(root + path.sep)) throw new AppError('validation_failed', 'Invalid storage key: outside the storage folder')
    return { file, meta: path.join(root, '.meta', `${key}.json`) }
  }

  async function writeTemp(body: Buffer | Readable): Promise<{ tmp: string; size: number }> {
    await fsp.mkdir(tmpDir, { recursive: true })
    const tmp = path.join(tmpDir, randomUUID())
    let size = 0
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length
        done(null, chunk)
      },
    })
    try {
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body
      // flush: fsync before close, so a crash after the rename cannot leave an empty file behind.
      await pipeline(source, count, fs.createWriteStream(tmp, { flags: 'wx', flush: true }))
    } catch (err) {
      await fsp.rm(tmp, { force: true })
      throw err
    }
    return { tmp, size }
  }

  return {
    kind: 'disk',
    root,

    async put(key, body, { contentType }) {
      const { file, meta } = paths(key)
      assertContentType(contentType)
      const data = await writeTemp(body)
      const sidecar = await writeTemp(Buffer.from(JSON.stringify({ contentType })))
      try {
        await fsp.mkdir(path.dirname(file), { recursive: true })
        await fsp.mkdir(path.dirname(meta), { recursive: true })
        // Sidecar first: once the bytes are visible under key, their content type already is.
        await fsp.rename(sidecar.tmp, meta)
        await fsp.rename(data.tmp, file)
      } catch (err) {
        await Promise.all([fsp.rm(data.tmp, { force: true }), fsp.rm(sidecar.tmp, { force: true })])
        const code = (err as NodeJS.ErrnoException).code
        // "a" is a file and "a/b" is asked for, or the other way round.
        if (code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST')
          throw new AppError('conflict', `Storage key ${key} clashes with an existing file or folder`)
        throw err
      }
      return { key, size: data.size }
    },

    async get(key): Promise<StoredFile | undefined> {
      const { file, meta } = paths(key)
      let handle: fsp.FileHandle
      try {
        handle = await fsp.open(file, 'r')
      } catch (err) {
        if (MISSING.has((err as NodeJS.ErrnoException).code ?? '')) return undefined
        throw err
      }
      // Size comes from the open handle: a concurrent put renames a new file in, this one stays whole.
      const stat = await handle.stat()
      if (!stat.isFile()) {
        await handle.close()
        return undefined
      }
      const contentType = await readContentType(meta)
      return { body: handle.createReadStream(), size: stat.size, contentType }
    },

    async delete(key) {
      const { file, meta } = paths(key)
      await fsp.rm(file, { force: true }).catch((err) => {
        if (!MISSING.has(err.code)) throw err
      })
      await fsp.rm(meta, { force: true }).catch(() => {})
    },

    async exists(key) {
      const { file } = paths(key)
      const stat = await fsp.stat(file).catch(() => undefined)
      return stat?.isFile() ?? false
    },

    async url(key) {
      assertValidKey(key)
      return `${publicPath}/${key}`
    },
  }
}

async function readContentType(meta: string): Promise<string> {
  try {
    const parsed = JSON.parse(await fsp.readFile(meta, 'utf8')) as { contentType?: unknown }
    return typeof parsed.contentType === 'string' ? parsed.contentType : FALLBACK_TYPE
  } catch {
    return FALLBACK_TYPE
  }
}
