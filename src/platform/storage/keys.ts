// Storage keys are chosen by app code, sometimes from user input (file names), so they are
// validated the same way for every backend: a key that passes can never leave the disk folder,
// and means the same object on disk and in S3.
import { AppError } from '../http/errors'

const SEGMENT = /^[a-zA-Z0-9_.-]+$/
export const MAX_KEY_LENGTH = 512

/** Throws AppError('validation_failed') unless key is safe; returns it unchanged. */
export function assertValidKey(key: string): string {
  const problem = keyProblem(key)
  if (problem) throw new AppError('validation_failed', `Invalid storage key: ${problem}`, { key: String(key).slice(0, 100) })
  return key
}

function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'it is empty'
  if (key.length > MAX_KEY_LENGTH) return `it is longer than ${MAX_KEY_LENGTH} characters`
  if (key.startsWith('/')) return 'it must be relative (no leading /)'
  for (const segment of key.split('/')) {
    if (segment === '') return 'it has an empty path segment (// or a trailing /)'
    if (!SEGMENT.test(segment)) return 'only letters, digits and / _ . - are allowed'
    // Forbids "." and "..", and keeps dot-names free for the disk backend's own folders.
    if (segment.startsWith('.')) return 'a path segment may not start with "."'
    if (segment.length > 255) return 'a path segment is longer than 255 characters'
  }
  return undefined
}

const MEDIA_TYPE = /^[a-zA-Z0-9][\w.+-]*\/[a-zA-Z0-9][\w.+-]*(\s*;.*)?$/

/** A content type is served back to browsers as-is, so it must at least look like a media type. */
export function assertContentType(contentType: string): string {
  if (typeof contentType !== 'string' || contentType.length > 255 || !MEDIA_TYPE.test(contentType) || /[\r\n]/.test(contentType))
    throw new AppError('validation_failed', 'Invalid content type: expected a media type such as image/png', { contentType })
  return contentType
}
