import { afterEach, describe, expect, it, vi } from 'vitest'
import { tokenSigner } from './jwt'

const SECRET = 'a-test-secret-that-is-long-enough-0123456789'
const claims = { sub: '00000000-0000-0000-0000-000000000001', role: 'client', app: 'onedesigner' }

// verify() remembers tokens that verified; these pin that it answers exactly as a full verification.
describe('access tokens', () => {
  afterEach(() => vi.useRealTimers())

  it('accepts a token again, as a copy of the claims', async () => {
    const tokens = tokenSigner(SECRET, 60)
    const token = await tokens.sign(claims)
    const first = await tokens.verify(token, 'onedesigner')
    first.role = 'admin' // a caller changing its copy changes nothing for the next request
    const again = await tokens.verify(token, 'onedesigner')
    expect(again).toMatchObject({ sub: claims.sub, role: 'client', app: 'onedesigner' })
  })

  it('refuses a remembered token once it expires', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-12-01T10:00:00Z'))
    const tokens = tokenSigner(SECRET, 60)
    const token = await tokens.sign(claims)
    await tokens.verify(token, 'onedesigner')
    vi.setSystemTime(new Date('2026-12-01T10:00:59Z'))
    await expect(tokens.verify(token, 'onedesigner')).resolves.toMatchObject({ sub: claims.sub })
    vi.setSystemTime(new Date('2026-12-01T10:01:00Z')) // exp <= now: expired, as jose counts
    await expect(tokens.verify(token, 'onedesigner')).rejects.toThrow('Token expired')
  })

  it('refuses a remembered token for another app, and any changed byte', async () => {
    const tokens = tokenSigner(SECRET, 60)
    const token = await tokens.sign(claims)
    await tokens.verify(token, 'onedesigner')
    await expect(tokens.verify(token, 'bandsy')).rejects.toThrow('Token was not issued for bandsy')
    const [h, p, s] = token.split('.')
    const flipped = s.slice(0, -2) + (s.at(-2) === 'A' ? 'B' : 'A') + s.at(-1)
    await expect(tokens.verify(`${h}.${p}.${flipped}`, 'onedesigner')).rejects.toThrow('Invalid token')
    await expect(tokenSigner('another-secret-that-is-long-enough-0123456789', 60).verify(token, 'onedesigner')).rejects.toThrow(
      'Invalid token',
    )
  })
})
