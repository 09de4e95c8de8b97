// One closed list of error codes, one table from code to HTTP status. Services throw AppError;
// the HTTP layer renders { error: { code, message, details } }.

export const ERROR_STATUS = {
  bad_request: 400,
  validation_failed: 400,
  invalid_json: 400,
  unauthorized: 401,
  invalid_code: 401,
  insufficient_credits: 402,
  payment_required: 402,
  forbidden: 403,
  second_factor_required: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  idempotency_in_progress: 409,
  already_exists: 409,
  gone: 410,
  payload_too_large: 413,
  quota_exceeded: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  constraint_violated: 422,
  idempotency_key_reused: 422,
  locked: 423,
  rate_limited: 429,
  headers_too_large: 431,
  internal: 500,
  upstream_failed: 502,
  unavailable: 503,
  timeout: 504,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[]

export class AppError extends Error {
  readonly status: number
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.status = ERROR_STATUS[code]
  }
}

export const notFound = (what: string, details?: unknown) => new AppError('not_found', `${what} not found`, details)
export const forbidden = (message: string) => new AppError('forbidden', message)
export const conflict = (message: string, details?: unknown) => new AppError('conflict', message, details)
export const unprocessable = (message: string, details?: unknown) => new AppError('unprocessable', message, details)

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown }
}

/** Postgres errors by SQLSTATE: constraint outcomes are the client's doing, not ours. */
export function fromPostgresError(err: {
  code?: string
  message?: string
  detail?: string
  constraint?: string
  column?: string
  table?: string
}): AppError | undefined {
  const details = { constraint: err.constraint, column: err.column, table: err.table, detail: err.detail }
  switch (err.code) {
    case '23505':
      return new AppError('conflict', 'A record with these values already exists', details)
    case '23503':
      // Inserting a reference to a missing row is "not found"; deleting a referenced row is a conflict.
      return /is still referenced/.test(err.detail ?? '')
        ? new AppError('conflict', 'The record is still referenced by other records', details)
        : new AppError('not_found', 'A referenced record does not exist', details)
    case '23514':
      return new AppError('constraint_violated', `The values break a rule: ${err.constraint ?? err.message}`, details)
    case '23502':
      return new AppError('validation_failed', `A required value is missing: ${err.column ?? ''}`.trim(), details)
    case '22021':
    case '22P05':
      // Postgres text cannot hold NUL (\u0000); JSON and HTTP can, so clients may send it.
      return new AppError('validation_failed', 'Text must be valid UTF-8 without NUL (\\u0000) characters', details)
    case '22P02':
    case '22007':
    case '22008':
    case '22003':
    case '22001':
    case '22023':
    case '2201X':
      return new AppError('validation_failed', `Invalid value: ${err.message}`, details)
    case '42501':
      return new AppError('forbidden', 'Not allowed', undefined)
    case '40001':
    case '40P01':
      return new AppError('conflict', 'Concurrent update, please retry', undefined)
    case '57014':
      return new AppError('timeout', 'The database took too long to answer', undefined)
    case '57P01':
    case '57P02':
    case '57P03':
    case '08000':
    case '08003':
    case '08006':
    case '08001':
    case '08004':
    case '53300':
      return new AppError('unavailable', 'The database is unavailable, please retry', undefined)
    default:
      return undefined
  }
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH'])

/** node-postgres's client-side query_timeout fired: the server did not answer in time. */
export function isQueryTimeout(err: unknown): boolean {
  return /Query read timeout/.test((err as { message?: string })?.message ?? '')
}

export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string }
  return (
    (!!e?.code && CONNECTION_ERRORS.has(e.code)) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection closed/i.test(
      e?.message ?? '',
    )
  )
}
