// The per-user storage quota (STORAGE_QUOTA_BYTES_PER_USER). The app knows what a user stores
// (it sums the sizes its rows keep); the platform says whether one more file fits.
import type { Platform } from '../platform'
import { AppError } from '../http/errors'

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

/**
 * Refuses (413 quota_exceeded, naming the quota) when usedBytes + addingBytes is over the quota.
 * Call it before storing a file whose size is known, or after storing one streamed (then delete it).
 */
export function assertStorageQuota(platform: Platform, usedBytes: number, addingBytes: number) {
  const quota = platform.config.STORAGE_QUOTA_BYTES_PER_USER
  if (quota === 0 || usedBytes + addingBytes <= quota) return
  throw new AppError(
    'quota_exceeded',
    `Storage quota of ${mb(quota)} per user reached: ${mb(usedBytes)} stored, this file is ${mb(addingBytes)}; delete files to make room`,
    { quotaBytes: quota, usedBytes, fileBytes: addingBytes },
  )
}
