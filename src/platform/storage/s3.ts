// Files in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, ...). Streams of unknown length
// go through lib-storage's Upload, which sends one PutObject for small bodies and a multipart
// upload for large ones, so memory stays bounded by the part size.
import { pipeline, Transform, type Readable } from 'node:stream'
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { AppError } from '../http/errors'
import { assertContentType, assertValidKey } from './keys'
import type { Storage, StoredFile } from './types'

export interface S3StorageOptions {
  bucket: string
  region: string
  /** For MinIO, R2 and other S3-compatible services; AWS's endpoint when unset. */
  endpoint?: string
  /** Both or neither; neither uses the SDK's default chain (env, profile, instance role). */
  accessKeyId?: string
  secretAccessKey?: string
  /** bucket in the path (MinIO, stubs) instead of the host name. */
  forcePathStyle?: boolean
  /** Lifetime of presigned URLs from url(). */
  urlExpiresInSeconds?: number
  /** Multipart part size; S3's minimum is 5 MiB. */
  partSizeBytes?: number
}

export function s3Storage(opts: S3StorageOptions): Storage & { client: S3Client } {
  if (!!opts.accessKeyId !== !!opts.secretAccessKey)
    throw new Error('STORAGE_S3_ACCESS_KEY_ID and STORAGE_S3_SECRET_ACCESS_KEY must be set together')
  const config: S3ClientConfig = {
    region: opts.region,
    endpoint: opts.endpoint,
    forcePathStyle: opts.forcePathStyle,
    credentials: opts.accessKeyId ? { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey! } : undefined,
    // The SDK's default CRC checksums (aws-chunked bodies, trailers) are not understood by every
    // S3-compatible service; checksums only where the API requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  }
  const client = new S3Client(config)
  const Bucket = opts.bucket
  const expiresIn = opts.urlExpiresInSeconds ?? 3600

  return {
    kind: 's3',
    client,

    async put(key, body, { contentType }) {
      assertValidKey(key)
      assertContentType(contentType)
      if (Buffer.isBuffer(body)) {
        await call(() => client.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentType: contentType })))
        return { key, size: body.length }
      }
      let size = 0
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length
          done(null, chunk)
        },
      })
      // pipeline (not pipe) so an error in the source aborts the upload instead of hanging it.
      const counted = pipeline(body, counter, () => {})
      const upload = new Upload({
        client,
        params: { Bucket, Key: key, Body: counted, ContentType: contentType },
        partSize: Math.max(opts.partSizeBytes ?? 8 * 1024 * 1024, 5 * 1024 * 1024),
        queueSize: 2,
        // A failed multipart upload is aborted, so no parts linger (and bill) in the bucket.
        leavePartsOnError: false,
      })
      await call(() => upload.done())
      return { key, size }
    },

    async get(key): Promise<StoredFile | undefined> {
      assertValidKey(key)
      const out = await call(() => client.send(new GetObjectCommand({ Bucket, Key: key })), { missingIsUndefined: true })
      if (!out) return undefined
      return {
        body: out.Body as Readable,
        size: out.ContentLength ?? 0,
        contentType: out.ContentType ?? 'application/octet-stream',
      }
    },

    async delete(key) {
      assertValidKey(key)
      // S3 answers 204 whether or not the key existed.
      await call(() => client.send(new DeleteObjectCommand({ Bucket, Key: key })))
    },

    async exists(key) {
      assertValidKey(key)
      const head = await call(() => client.send(new HeadObjectCommand({ Bucket, Key: key })), { missingIsUndefined: true })
      return head !== undefined
    },

    async url(key) {
      assertValidKey(key)
      return call(() => getSignedUrl(client, new GetObjectCommand({ Bucket, Key: key }), { expiresIn }))
    },
  }
}

/** S3 failures become AppErrors: a missing object is undefined (when asked), the rest 502/503. */
async function call<T>(fn: () => Promise<T>, o: { missingIsUndefined: true }): Promise<T | undefined>
async function call<T>(fn: () => Promise<T>): Promise<T>
async function call<T>(fn: () => Promise<T>, o: { missingIsUndefined?: boolean } = {}): Promise<T | undefined> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof AppError) throw err
    const status = (err as S3ServiceException).$metadata?.httpStatusCode
    const name = (err as Error).name
    // NoSuchKey from GET, a bodiless 404 from HEAD; NoSuchBucket is a misconfiguration, not a missing file.
    if (o.missingIsUndefined && (name === 'NoSuchKey' || (name === 'NotFound' && status === 404))) return undefined
    if (err instanceof S3ServiceException)
      throw new AppError('upstream_failed', `File storage refused the request: ${name}${status ? ` (HTTP ${status})` : ''}`)
    throw new AppError('unavailable', `File storage is unreachable: ${(err as Error).message}`)
  }
}
