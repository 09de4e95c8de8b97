// OneDesigner's accounts tests: ask for a code over HTTP and read it from the dev mailbox.
import type { TestEnv } from './test-env'
import { freshIp, mailbox, waitForMail, codeIn } from './otp-mail'

export { codeIn, freshIp, mailbox, uniqueEmail, waitForMail, wrong } from './otp-mail'

export const BASE = '/v1/onedesigner'
export type Role = 'client' | 'designer' | 'admin'

export function post(env: TestEnv, path: string, payload: unknown, ip = freshIp()) {
  return env.http.inject({ method: 'POST', url: `${BASE}${path}`, payload: payload as object, remoteAddress: ip })
}

/** Asks for a code and returns it as the user would read it. */
export async function requestCode(env: TestEnv, email: string, type: Role, ip = freshIp()): Promise<string> {
  const before = (await mailbox(env, email)).length
  const res = await post(env, '/auth/otp', { email, type }, ip)
  if (res.statusCode !== 202) throw new Error(`otp request answered ${res.statusCode}: ${res.body}`)
  const messages = await waitForMail(env, email, before + 1)
  return codeIn(messages[0].text)
}

export const verify = (env: TestEnv, body: Record<string, unknown>, ip = freshIp()) => post(env, '/auth/otp/verify', body, ip)

export async function signIn(env: TestEnv, email: string, type: Role, extra: Record<string, unknown> = {}) {
  const code = await requestCode(env, email, type)
  const res = await verify(env, { email, type, code, ...extra })
  if (res.statusCode !== 200) throw new Error(`verify answered ${res.statusCode}: ${res.body}`)
  return res.json() as { accessToken: string; refreshToken: string; expiresIn: number; user: { id: string; email: string; role: Role } }
}
