import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createFieldCrypto, CryptoError, type FieldCrypto } from './field-encryption'
import { parseKeyring, KeyringError } from './keyring'

const key = (fill?: number) => (fill === undefined ? randomBytes(32) : Buffer.alloc(32, fill)).toString('base64')
const A = `a:${key(1)}`
const B = `b:${key(2)}`

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (err instanceof CryptoError) return err.code
    throw err
  }
  throw new Error('expected a CryptoError')
}

/** Flips one bit of the decoded payload (iv, body or tag) and re-encodes it. */
function flipBit(sealed: string, byte: number): string {
  const [v, id, payload] = sealed.split('.')
  const raw = Buffer.from(payload, 'base64url')
  raw[byte] ^= 1
  return `${v}.${id}.${raw.toString('base64url')}`
}

describe('field encryption', () => {
  const crypto: FieldCrypto = createFieldCrypto(A)

  it('round-trips text, including empty and non-ASCII, with a fresh IV each time', () => {
    for (const text of ['', 'seller@example.com', 'Grüße, 東京 🚲', 'x'.repeat(10_000)]) {
      const sealed = crypto.encrypt(text)
      expect(sealed).toMatch(/^mb1\.a\.[A-Za-z0-9_-]+$/)
      expect(sealed).not.toContain(text || '\u0000')
      expect(crypto.decrypt(sealed)).toBe(text)
    }
    expect(crypto.encrypt('same')).not.toBe(crypto.encrypt('same'))
  })

  it('detects a changed bit anywhere in iv, ciphertext or tag', () => {
    const sealed = crypto.encrypt('https://example.com/listing/42')
    const length = Buffer.from(sealed.split('.')[2], 'base64url').length
    for (const byte of [0, 11, 12, 20, length - 16, length - 1])
      expect(codeOf(() => crypto.decrypt(flipBit(sealed, byte)))).toBe('authentication_failed')
  })

  it('binds the ciphertext to its context: another row or column cannot reuse it', () => {
    const sealed = crypto.encrypt('+49 30 1234567', 'snagr.sellers.contact:row-1')
    expect(crypto.decrypt(sealed, 'snagr.sellers.contact:row-1')).toBe('+49 30 1234567')
    expect(codeOf(() => crypto.decrypt(sealed, 'snagr.sellers.contact:row-2'))).toBe('authentication_failed')
    expect(codeOf(() => crypto.decrypt(sealed))).toBe('authentication_failed')
  })

  it('authenticates the key id: relabelling a ciphertext with another held key fails', () => {
    const both = createFieldCrypto(`${A},${B}`)
    const relabelled = both.encrypt('secret').replace(/^mb1\.a\./, 'mb1.b.')
    expect(codeOf(() => both.decrypt(relabelled))).toBe('authentication_failed')
  })

  it('names an unknown key id instead of failing authentication', () => {
    const sealed = createFieldCrypto(B).encrypt('secret')
    expect(codeOf(() => crypto.decrypt(sealed))).toBe('unknown_key')
    expect(() => crypto.decrypt(sealed)).toThrow(/"b"/)
  })

  it('rejects what is not a ciphertext', () => {
    for (const bad of [
      '',
      'plain text',
      'mb2.a.AAAA',
      'mb1.a',
      'mb1.a.AAAA',
      'mb1.a b.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      `mb1.a.${'A'.repeat(40)}!`,
    ])
      expect(codeOf(() => crypto.decrypt(bad))).toBe('malformed')
  })

  it('rotates: the first key encrypts, older keys still decrypt, needsRotation finds their values', () => {
    const before = createFieldCrypto(A)
    const old = before.encrypt('contact')
    const after = createFieldCrypto(`${B},${A}`)
    expect(after.currentKeyId).toBe('b')
    expect(after.decrypt(old)).toBe('contact')
    expect(after.needsRotation(old)).toBe(true)
    const rotated = after.encrypt(after.decrypt(old))
    expect(rotated.startsWith('mb1.b.')).toBe(true)
    expect(after.needsRotation(rotated)).toBe(false)
    // Once every value is rotated, the old key can go.
    expect(createFieldCrypto(B).decrypt(rotated)).toBe('contact')
    expect(codeOf(() => createFieldCrypto(B).decrypt(old))).toBe('unknown_key')
  })
})

describe('ENCRYPTION_KEYS parsing', () => {
  it('reads several keys, newest first', () => {
    const ring = parseKeyring(` ${B} , ${A} `)
    expect(ring.currentId).toBe('b')
    expect([...ring.keys.keys()]).toEqual(['b', 'a'])
  })

  it.each([
    ['', /no key/],
    [`${A},`, /key 2 is empty/],
    [key(1), /no id/],
    [`a b:${key(1)}`, /id "a b"/],
    [`${'k'.repeat(33)}:${key(1)}`, /1-32 characters/],
    [`${A},a:${key(3)}`, /"a" appears twice/],
    [`a:${Buffer.alloc(16, 1).toString('base64')}`, /16 bytes/],
    [`a:${key(1).slice(0, -2)}`, /not valid base64/],
    [`a:${key(1).replace(/^./, '*')}`, /not valid base64/],
  ])('refuses %j', (spec, message) => {
    expect(() => parseKeyring(spec)).toThrow(KeyringError)
    expect(() => parseKeyring(spec)).toThrow(message)
  })
})

describe('platform.crypto', () => {
  it('encrypts under the first of ENCRYPTION_KEYS and decrypts under any of them', async () => {
    const { testConfig } = await import('../config')
    const { createPlatform } = await import('../platform')
    const older = createFieldCrypto(A).encrypt('kept through the rotation')
    const platform = await createPlatform(testConfig({ ENCRYPTION_KEYS: `${B},${A}` }), { dbOptions: { dataDir: 'memory://' } })
    try {
      expect(platform.crypto.currentKeyId).toBe('b')
      expect(platform.crypto.decrypt(older)).toBe('kept through the rotation')
      expect(platform.crypto.needsRotation(platform.crypto.encrypt('new'))).toBe(false)
    } finally {
      await platform.close()
    }
  })
})
