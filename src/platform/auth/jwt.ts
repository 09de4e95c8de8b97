// Access tokens: HS256 JWTs whose audience is the app, so a token of one app is refused by another.
import { SignJWT, jwtVerify, errors } from 'jose'
import { AppError } from '../http/errors'
import type { Claims } from '../db/with-user'

const ISSUER = 'matchbase'
/** How many verified tokens are remembered (see `verified` below); a few KB each at most. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000

export interface TokenSigner {
  /** sid: the session (refresh-token family) the token belongs to, so that ending it refuses the token. */
  /**
   * amr: how the holder proved who they are (RFC 8176), e.g. ['otp', 'totp'] after a second factor,
   * which admin routes require (auth/totp.ts); ttlSeconds: a shorter life than JWT_TTL_SECONDS.
   */
  sign(
    claims: { sub: string; role: string; app: string; email?: string; sid?: string; amr?: string[] },
    now?: Date,
    ttlSeconds?: number,
  ): Promise<string>
  verify(token: string, app: string): Promise<Claims>
}

export interface SignerOptions {
  /** Why verified claims are refused although the token is valid (an ended session), or undefined. */
  refuse?: (claims: Claims) => string | undefined
}

export function tokenSigner(secret: string, ttlSeconds: number, opts: SignerOptions = {}): TokenSigner {
  // Why a CryptoKey made once: given raw bytes, jose imports them into WebCrypto on every sign and
  // verify (about a third of jose's cost per request, see docs/benchmarks.md "Load and soak").
  const key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
  key.catch(() => {}) // an unusable secret fails sign and verify, not the process
  // Why remember verified tokens: a client sends the same token on every request until it
  // expires, and verification depends only on the token text, the app and the time. So a token
  // that verified once is accepted again without the HMAC and claim checks until its exp
  // (checked against the clock on every hit, exactly as jose does: expired when exp <= now).
  // Keyed by app and the whole token, so a changed byte or another app misses and is verified in
  // full. Failures are never remembered. Bounded: the least recently used entry goes first.
  // An ended session is checked after the cache as after a full verification: a remembered
  // token is never let through once its session or user has been revoked.
  const verified = new Map<string, { claims: Claims; exp: number }>()
  const accept = (claims: Claims) => {
    const refused = opts.refuse?.(claims)
    if (refused) throw new AppError('unauthorized', refused)
    return { ...claims }
  }
  return {
    async sign({ sub, role, app, email, sid, amr }, now = new Date(), ttl = ttlSeconds) {
      const iat = Math.floor(now.getTime() / 1000)
      return new SignJWT({ role, ...(email ? { email } : {}), ...(sid ? { sid } : {}), ...(amr ? { amr } : {}) })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(sub)
        .setAudience(app)
        .setIssuer(ISSUER)
        .setIssuedAt(iat)
        .setExpirationTime(iat + Math.min(ttl, ttlSeconds))
        .sign(await key)
    },
    async verify(token, app) {
      const cacheKey = `${app} ${token}`
      const hit = verified.get(cacheKey)
      if (hit) {
        verified.delete(cacheKey)
        if (hit.exp > Math.floor(Date.now() / 1000)) {
          verified.set(cacheKey, hit) // most recently used now
          return accept(hit.claims)
        }
        // Expired: verify in full below, which gives the usual 'Token expired'.
      }
      let claims: Claims
      try {
        const { payload } = await jwtVerify(token, await key, { audience: app, issuer: ISSUER, algorithms: ['HS256'] })
        if (typeof payload.sub !== 'string' || typeof payload.role !== 'string')
          throw new AppError('unauthorized', 'Token lacks subject or role')
        claims = { ...payload, sub: payload.sub, role: payload.role, app } as Claims
        // Only tokens whose validity is exp alone (ours: no nbf) are remembered.
        if (typeof payload.exp === 'number' && payload.nbf === undefined) {
          if (verified.size >= VERIFIED_TOKEN_CACHE_SIZE) verified.delete(verified.keys().next().value!)
          verified.set(cacheKey, { claims, exp: payload.exp })
        }
      } catch (err) {
        if (err instanceof AppError) throw err
        if (err instanceof errors.JWTExpired) throw new AppError('unauthorized', 'Token expired')
        if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'aud')
          throw new AppError('unauthorized', `Token was not issued for ${app}`)
        throw new AppError('unauthorized', 'Invalid token')
      }
      return accept(claims)
    },
  }
}
