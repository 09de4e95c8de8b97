// Request and body timeouts (issue 10, item 10): a body or headers trickled a byte at a time
// cannot hold a connection past REQUEST_TIMEOUT_MS / HEADERS_TIMEOUT_MS; the server answers 408
// in the error shape and closes.
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'

const REQUEST_MS = 2_000
const HEADERS_MS = 1_000

/** Sends head, then one byte of trickle every 250 ms; resolves with what came back and when the server closed. */
function trickle(port: number, head: string, drip: string): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    let i = 0
    const timer = setInterval(() => {
      if (socket.writable) socket.write(drip[i++ % drip.length]!)
    }, 250)
    socket.on('connect', () => socket.write(head))
    socket.on('data', (d) => {
      answer += d.toString()
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      clearInterval(timer)
      resolve({ answer, closedAfterMs: Date.now() - started })
    })
    setTimeout(() => {
      clearInterval(timer)
      socket.destroy()
      reject(new Error(`still open after 15 s; got: ${answer}`))
    }, 15_000)
  })
}

describe('request timeouts', () => {
  let env: TestEnv
  let port: number
  beforeAll(async () => {
    env = await createTestEnv({ config: { REQUEST_TIMEOUT_MS: String(REQUEST_MS), HEADERS_TIMEOUT_MS: String(HEADERS_MS) } })
    await env.http.listen({ host: '127.0.0.1', port: 0 })
    port = (env.http.server.address() as AddressInfo).port
  })
  afterAll(() => env.close())

  it('closes a connection whose body trickles in, with 408 in the error shape', async () => {
    const head =
      'POST /v1/onedesigner/auth/otp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":"'
    const { answer, closedAfterMs } = await trickle(port, head, 'aaaaaaaa')
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(JSON.parse(answer.split('\r\n\r\n')[1]!).error.code).toBe('request_timeout')
    // Node checks at most every second here: the bound plus one check, not minutes.
    expect(closedAfterMs).toBeGreaterThanOrEqual(REQUEST_MS - 100)
    expect(closedAfterMs).toBeLessThan(REQUEST_MS + 2_000)
  })

  it('closes a connection whose headers trickle in', async () => {
    const { answer, closedAfterMs } = await trickle(port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ', 'abcdefgh')
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(closedAfterMs).toBeLessThan(HEADERS_MS + 2_000)
  })

  it('still serves a request that arrives in time', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`)
    expect(res.status).toBe(200)
  })
})
