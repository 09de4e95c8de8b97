// Reading sign-in codes the way a user does, from the dev mailbox (platform, any app), with a
// fresh client address per caller. Used by every app's accounts tests and the auth proof suite.
import { randomUUID } from 'node:crypto'
import type { TestEnv } from './test-env'

let ips = 0
/** Each caller gets its own address so the per-IP limit only bites where a test wants it to. */
export const freshIp = () => {
  ips++
  return `10.77.${Math.floor(ips / 250)}.${(ips % 250) + 1}`
}
export const uniqueEmail = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}@example.test`

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

/** A code that is not the right one. */
export const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0')
