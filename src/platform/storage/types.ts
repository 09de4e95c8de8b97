// File storage behind one interface: local disk by default, S3-compatible when a bucket is set.
import type { Readable } from 'node:stream'

export interface StoredFile {
  body: Readable
  size: number
  contentType: string
}

export interface Storage {
  readonly kind: 'disk' | 's3'
  /** Writes the whole body under key, replacing any previous file; readers never see a partial file. */
  put(key: string, body: Buffer | Readable, opts: { contentType: string }): Promise<{ key: string; size: number }>
  /** undefined when there is no file under key. */
  get(key: string): Promise<StoredFile | undefined>
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>
  exists(key: string): Promise<boolean>
  /**
   * Where a client can fetch the file: a path the API serves (disk) or a presigned GET URL (S3).
   * Async because presigning may need to resolve credentials (instance roles, SSO).
   */
  url(key: string): Promise<string>
}
