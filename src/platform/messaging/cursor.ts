// Keyset cursors over (timestamp, id). The timestamp travels as text with microseconds: a JS Date
// would round them away, and two messages a microsecond apart would then share a cursor.
import { AppError } from '../http/errors'

export interface CursorKey {
  /** ISO 8601 in UTC with microseconds, as Postgres printed it. */
  at: string
  id: string
}

const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const MAX_CURSOR_LENGTH = 200

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(`${key.at}|${key.id}`, 'utf8').toString('base64url')
}

/** Throws validation_failed naming the field when the text is not a cursor this module made. */
export function decodeCursor(text: string, field: string): CursorKey {
  const bad = () => new AppError('validation_failed', `${field}: not a cursor; pass one returned by a previous page`, { field })
  if (typeof text !== 'string' || text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) throw bad()
  const [at, id, ...rest] = Buffer.from(text, 'base64url').toString('utf8').split('|')
  if (rest.length || !AT.test(at ?? '') || !UUID.test(id ?? '') || Number.isNaN(Date.parse(at))) throw bad()
  return { at, id }
}

/** SQL fragment text printing a timestamptz the way CursorKey.at expects. */
export const cursorAt = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
