// Shared by the accounts tests: ask for a code over HTTP and read it from the dev mailbox.
import { randomUUID } from 'node:crypto'
import type { TestEnv } from '../../../../test/support/test-env'

export const BASE = '/v1/onedesigner'
export type Role = 'client' | 'designer' | 'admin'

let ips = 0
/** Each caller gets its own address so the per-IP limit only bites where a test wants it to. */
export const freshIp = () => {
  ips++
  return `10.77.${Math.floor(ips / 250)}.${(ips % 250) + 1}`
}
export const uniqueEmail = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}@example.test`

export function post(env: TestEnv, path: string, payload: unknown, ip = freshIp()) {
  return env.http.inject({ method: 'POST', url: `${BASE}${path}`, payload: payload as object, remoteAddress: ip })
}

export async function mailbox(env: TestEnv, email: string): Promise<{ subject: string; text: string }[]> {
  const res = await env.http.inject({ method: 'GET', url: `/v1/dev/mailbox?email=${encodeURIComponent(email)}` })
  if (res.statusCode !== 200) throw new Error(`mailbox answered ${res.statusCode}: ${res.body}`)
  return res.json().messages
}

/** Mail is sent outside the request, so poll for it. */
export async function waitForMail(env: TestEnv, email: string, atLeast: number) {
  for (let i = 0; i < 100; i++) {
    const messages = await mailbox(env, email)
    if (messages.length >= atLeast) return messages
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`no mail #${atLeast} for ${email}`)
}

export const codeIn = (text: string) => {
  const m = /\b(\d{6})\b/.exec(text)
  if (!m) throw new Error(`no code in: ${text}`)
  return m[1]
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

/** A code that is not the right one. */
export const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0')

export async function signIn(env: TestEnv, email: string, type: Role, extra: Record<string, unknown> = {}) {
  const code = await requestCode(env, email, type)
  const res = await verify(env, { email, type, code, ...extra })
  if (res.statusCode !== 200) throw new Error(`verify answered ${res.statusCode}: ${res.body}`)
  return res.json() as { accessToken: string; refreshToken: string; expiresIn: number; user: { id: string; email: string; role: Role } }
}
