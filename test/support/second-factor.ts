// Test admins go through the real second factor: enrol a TOTP secret, confirm it and step up,
// with codes computed from the secret at the platform clock's time, as an authenticator app would.
import { generate } from 'otplib'
import { createSecondFactor } from '../../src/platform/auth/totp'
import type { Claims } from '../../src/platform/db/with-user'
import type { Platform } from '../../src/platform/platform'

export interface SteppedUpAdmin {
  /** The step-up token (amr with totp): what admin routes accept. */
  token: string
  /** The sign-in token without a second factor: only enrolment and step-up accept it. */
  signInToken: string
  secret: string
  recoveryCodes: string[]
}

/** A TOTP code for the secret at the platform clock's time plus `offsetSteps` periods of 30 s. */
export const totpCode = (p: Platform, secret: string, offsetSteps = 0) =>
  generate({ secret, epoch: Math.floor(p.clock.now().getTime() / 1000) + offsetSteps * 30 })

export async function stepUpAdmin(p: Platform, app: string, admin: { id: string; email: string }): Promise<SteppedUpAdmin> {
  const claims: Claims = { sub: admin.id, role: 'admin', app, email: admin.email }
  const signInToken = await p.tokens.sign({ sub: admin.id, role: 'admin', app, email: admin.email }, p.clock.now())
  const factor = createSecondFactor(p, app)
  const info = { ip: '127.0.0.1' }
  const { secret } = await factor.enrol(claims, info)
  const { recoveryCodes } = await factor.confirm(claims, await totpCode(p, secret), info)
  // The confirming code's time step is spent: step up with the next one, as a person would wait for it.
  const { accessToken } = await factor.stepUp(claims, { code: await totpCode(p, secret, 1) }, info)
  return { token: accessToken, signInToken, secret, recoveryCodes }
}

interface Injector {
  inject(opts: { method: 'POST'; url: string; headers: Record<string, string>; payload?: unknown }): Promise<{
    statusCode: number
    json(): unknown
  }>
}

/** The same through the API: enrol, confirm, step up with the admin's sign-in token; the step-up token. */
export async function stepUpOverHttp(p: Platform, http: Injector, base: string, signInToken: string): Promise<string> {
  const headers = { authorization: `Bearer ${signInToken}` }
  const post = async (path: string, payload?: unknown) => {
    const res = await http.inject({ method: 'POST', url: `${base}${path}`, headers, payload })
    if (res.statusCode >= 300) throw new Error(`${path}: ${res.statusCode} ${JSON.stringify(res.json())}`)
    return res.json() as Record<string, unknown>
  }
  const { secret } = (await post('/auth/admin/second-factor')) as { secret: string }
  await post('/auth/admin/second-factor/confirm', { code: await totpCode(p, secret) })
  const { accessToken } = (await post('/auth/admin/step-up', { code: await totpCode(p, secret, 1) })) as { accessToken: string }
  return accessToken
}
