// Sign-in through an external identity provider (Clerk, Auth0, Cognito, Keycloak...): its JWTs are
// verified against the public keys it publishes as a JWKS. jose fetches and caches the key set,
// and refetches it when a token names a kid it has not seen (key rotation), at most once per
// cooldown, so a flood of made-up kids cannot be turned into a flood of requests to the provider.
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import type { Clock } from '../clock'
import type { Config } from '../config'
import { AppError } from '../http/errors'

export interface ExternalUser {
  /** The provider's user id (`sub`); stable, unlike the email. */
  subject: string
  /** Left out when the provider says the address is not verified (`email_verified: false`). */
  email?: string
  name?: string
  claims: JWTPayload
}

export interface ExternalIdentity {
  /** false when IDP_JWKS_URL is unset; verify() then refuses every token. */
  readonly enabled: boolean
  /** Throws AppError: 'unauthorized' for a token that is not good, 'unavailable' / 'upstream_failed' when the keys cannot be had. */
  verify(token: string): Promise<ExternalUser>
}

export interface ExternalIdentityOptions {
  jwksUrl: string
  issuer: string
  audience?: string | string[]
  algorithms?: string[]
  clock?: Clock
  /** Minimum time between two JWKS refetches triggered by unknown kids. */
  cooldownMs?: number
  /** JWKS request timeout. */
  timeoutMs?: number
  /** Allowed clock skew between us and the provider for exp / nbf / iat. */
  clockToleranceSeconds?: number
}

/** Asymmetric only: with a JWKS, HS256 would mean trusting a secret the provider published. */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']

export function parseAlgorithms(list: string): string[] {
  const algorithms = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const refused = algorithms.filter((a) => !ALLOWED_ALGORITHMS.includes(a))
  if (!algorithms.length || refused.length)
    throw new Error(`IDP_ALGORITHMS may only name ${ALLOWED_ALGORITHMS.join(', ')}; got ${refused.join(', ') || 'nothing'}`)
  return algorithms
}

export function createExternalIdentity(
  config: Config,
  o: Pick<ExternalIdentityOptions, 'clock' | 'cooldownMs' | 'timeoutMs'> = {},
): ExternalIdentity {
  if (!config.IDP_JWKS_URL) return disabledIdentity
  // Without an issuer check, any tenant of the same provider could sign in here.
  if (!config.IDP_ISSUER) throw new Error('IDP_JWKS_URL needs IDP_ISSUER (the exact iss of the provider’s tokens)')
  const audience = config.IDP_AUDIENCE?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return externalIdentity({
    ...o,
    jwksUrl: config.IDP_JWKS_URL,
    issuer: config.IDP_ISSUER,
    audience: audience?.length ? audience : undefined,
    algorithms: parseAlgorithms(config.IDP_ALGORITHMS),
  })
}

export const disabledIdentity: ExternalIdentity = {
  enabled: false,
  async verify() {
    throw new AppError('unauthorized', 'External sign-in is not configured (IDP_JWKS_URL is unset)')
  },
}

/** Marks failures to get the key set, as opposed to failures of the token. */
class KeySetUnavailable extends Error {
  constructor(
    readonly reason: 'unreachable' | 'bad_response',
    cause: unknown,
  ) {
    super((cause as Error)?.message ?? String(cause), { cause })
  }
}

export function externalIdentity(opts: ExternalIdentityOptions): ExternalIdentity {
  const algorithms = opts.algorithms ?? ['RS256', 'ES256']
  parseAlgorithms(algorithms.join(','))
  const remote = createRemoteJWKSet(new URL(opts.jwksUrl), {
    cooldownDuration: opts.cooldownMs ?? 30_000,
    timeoutDuration: opts.timeoutMs ?? 5_000,
  })
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token)
    } catch (err) {
      // Token-side outcomes pass through; jose iterates JWKSMultipleMatchingKeys itself.
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err
      if (err instanceof errors.JWKSTimeout || (err instanceof TypeError && /fetch failed/i.test(err.message)))
        throw new KeySetUnavailable('unreachable', err)
      if (err instanceof errors.JOSEError) throw new KeySetUnavailable('bad_response', err)
      throw err
    }
  }

  return {
    enabled: true,
    async verify(token) {
      let payload: JWTPayload
      try {
        ;({ payload } = await jwtVerify(token, getKey, {
          issuer: opts.issuer,
          audience: opts.audience,
          algorithms,
          // A token without exp would be valid forever.
          requiredClaims: ['sub', 'exp'],
          clockTolerance: opts.clockToleranceSeconds ?? 5,
          currentDate: opts.clock?.now(),
        }))
      } catch (err) {
        throw toAppError(err, opts)
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new AppError('unauthorized', 'Token has no subject (sub)')
      const email = typeof payload.email === 'string' && payload.email_verified !== false ? payload.email : undefined
      const name = typeof payload.name === 'string' ? payload.name : undefined
      return { subject: payload.sub, ...(email ? { email } : {}), ...(name ? { name } : {}), claims: payload }
    },
  }
}

function toAppError(err: unknown, opts: ExternalIdentityOptions): AppError {
  if (err instanceof AppError) return err
  if (err instanceof KeySetUnavailable)
    return err.reason === 'unreachable'
      ? new AppError('unavailable', `The identity provider's keys could not be fetched: ${err.message}`)
      : new AppError('upstream_failed', `The identity provider's key set is unusable: ${err.message}`)
  const unauthorized = (message: string) => new AppError('unauthorized', message)
  if (err instanceof errors.JWTExpired) return unauthorized('Token expired')
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return unauthorized(`Token lacks the "${err.claim}" claim`)
    if (err.claim === 'iss') return unauthorized(`Token issuer is not ${opts.issuer}`)
    if (err.claim === 'aud') return unauthorized('Token audience is not this service')
    if (err.claim === 'nbf' || err.claim === 'iat') return unauthorized('Token is not valid yet')
    return unauthorized(`Token claim "${err.claim}" is invalid`)
  }
  if (err instanceof errors.JOSEAlgNotAllowed)
    return unauthorized('Token algorithm is not accepted (allowed: ' + (opts.algorithms ?? ['RS256', 'ES256']).join(', ') + ')')
  if (err instanceof errors.JWKSNoMatchingKey) return unauthorized('Token was signed by a key the identity provider does not publish')
  if (err instanceof errors.JWSSignatureVerificationFailed) return unauthorized('Token signature is invalid')
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return unauthorized('Token is malformed')
  if (err instanceof errors.JOSEError) return unauthorized(`Invalid token: ${err.message}`)
  if (err instanceof TypeError) return unauthorized('Token is malformed')
  return err instanceof Error ? new AppError('internal', err.message) : new AppError('internal', String(err))
}
