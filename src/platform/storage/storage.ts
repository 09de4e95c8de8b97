// Chooses the file storage from config: S3-compatible when STORAGE_S3_BUCKET is set, else local
// disk under STORAGE_DIR (default ${DATA_DIR}/files).
import path from 'node:path'
import type { Config } from '../config'
import { diskStorage } from './disk'
import { s3Storage } from './s3'
import type { Storage } from './types'

export function storageKind(config: Config): 'disk' | 's3' {
  return config.STORAGE_S3_BUCKET ? 's3' : 'disk'
}

export function createStorage(config: Config): Storage {
  if (storageKind(config) === 's3') {
    return s3Storage({
      bucket: config.STORAGE_S3_BUCKET!,
      region: config.STORAGE_S3_REGION,
      endpoint: config.STORAGE_S3_ENDPOINT,
      accessKeyId: config.STORAGE_S3_ACCESS_KEY_ID,
      secretAccessKey: config.STORAGE_S3_SECRET_ACCESS_KEY,
      // MinIO and most self-hosted services need the bucket in the path; AWS prefers the host name.
      forcePathStyle: config.STORAGE_S3_FORCE_PATH_STYLE ?? !!config.STORAGE_S3_ENDPOINT,
    })
  }
  return diskStorage({ root: config.STORAGE_DIR ?? path.join(config.DATA_DIR, 'files') })
}

export { diskStorage, type DiskStorageOptions } from './disk'
export { s3Storage, type S3StorageOptions } from './s3'
export { assertValidKey, assertContentType, MAX_KEY_LENGTH } from './keys'
export type { Storage, StoredFile } from './types'
