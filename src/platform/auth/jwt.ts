// Access tokens: HS256 JWTs whose audience is the app, so a token of one app is refused by another.
import { SignJWT, jwtVerify, errors } from 'jose'
import { AppError } from '../http/errors'
import type { Claims } from '../db/with-user'

const ISSUER = 'matchbase'

export interface TokenSigner {
  sign(claims: { sub: string; role: string; app: string; email?: string }, now?: Date): Promise<string>
  verify(token: string, app: string): Promise<Claims>
}

export function tokenSigner(secret: string, ttlSeconds: number): TokenSigner {
  const key = new TextEncoder().encode(secret)
  return {
    async sign({ sub, role, app, email }, now = new Date()) {
      const iat = Math.floor(now.getTime() / 1000)
      return new SignJWT({ role, ...(email ? { email } : {}) })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(sub)
        .setAudience(app)
        .setIssuer(ISSUER)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .sign(key)
    },
    async verify(token, app) {
      try {
        const { payload } = await jwtVerify(token, key, { audience: app, issuer: ISSUER, algorithms: ['HS256'] })
        if (typeof payload.sub !== 'string' || typeof payload.role !== 'string')
          throw new AppError('unauthorized', 'Token lacks subject or role')
        return { ...payload, sub: payload.sub, role: payload.role, app } as Claims
      } catch (err) {
        if (err instanceof AppError) throw err
        if (err instanceof errors.JWTExpired) throw new AppError('unauthorized', 'Token expired')
        if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'aud')
          throw new AppError('unauthorized', `Token was not issued for ${app}`)
        throw new AppError('unauthorized', 'Invalid token')
      }
    },
  }
}
