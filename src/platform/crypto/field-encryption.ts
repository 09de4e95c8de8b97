// Application-level field encryption (AES-256-GCM) for the fields a seed names as secret until a
// rule releases them (Snagr's seller contact and listing url). The ciphertext is text that
// describes itself, so a column can hold values sealed under several keys during a rotation:
//
//   mb1.<key id>.<base64url(iv[12] || ciphertext || tag[16])>
//
// "mb1" is the format version. The header is authenticated together with an optional caller
// context (e.g. "snagr.listings.url:<row id>"), so a ciphertext copied to another row, column or
// key id fails to decrypt instead of yielding another row's secret.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { KEY_ID, parseKeyring, type Keyring } from './keyring'

const VERSION = 'mb1'
const IV_BYTES = 12
const TAG_BYTES = 16
const BASE64URL = /^[A-Za-z0-9_-]+$/

export type CryptoErrorCode = 'malformed' | 'unknown_key' | 'authentication_failed'

export class CryptoError extends Error {
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message)
  }
}

export interface FieldCrypto {
  /** The key id new ciphertexts carry (the first of ENCRYPTION_KEYS). */
  readonly currentKeyId: string
  encrypt(plaintext: string, context?: string): string
  /** Throws CryptoError: malformed, unknown_key, or authentication_failed (tampered, wrong context). */
  decrypt(sealed: string, context?: string): string
  /** True when the value was sealed under an older key (or format): re-encrypt it in a rotation batch. */
  needsRotation(sealed: string): boolean
}

interface Parsed {
  keyId: string
  header: string
  iv: Buffer
  body: Buffer
  tag: Buffer
}

function parse(sealed: string): Parsed {
  const parts = typeof sealed === 'string' ? sealed.split('.') : []
  if (parts.length !== 3 || parts[0] !== VERSION) throw new CryptoError('malformed', `not a ${VERSION} ciphertext`)
  const [, keyId, payload] = parts
  if (!KEY_ID.test(keyId) || !BASE64URL.test(payload)) throw new CryptoError('malformed', `not a ${VERSION} ciphertext`)
  const raw = Buffer.from(payload, 'base64url')
  if (raw.length < IV_BYTES + TAG_BYTES) throw new CryptoError('malformed', 'ciphertext too short')
  return {
    keyId,
    header: `${VERSION}.${keyId}`,
    iv: raw.subarray(0, IV_BYTES),
    body: raw.subarray(IV_BYTES, raw.length - TAG_BYTES),
    tag: raw.subarray(raw.length - TAG_BYTES),
  }
}

// The context is length-prefixed so that header and context cannot be re-split another way.
const aad = (header: string, context = '') => Buffer.from(`${header}\n${Buffer.byteLength(context)}\n${context}`)

export function createFieldCrypto(keys: string | Keyring): FieldCrypto {
  const ring = typeof keys === 'string' ? parseKeyring(keys) : keys
  const current = ring.keys.get(ring.currentId)!
  return {
    currentKeyId: ring.currentId,
    encrypt(plaintext, context) {
      const header = `${VERSION}.${ring.currentId}`
      // A random 96-bit IV per value: safe for far more values per key than one deployment writes.
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', current, iv, { authTagLength: TAG_BYTES })
      cipher.setAAD(aad(header, context))
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return `${header}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`
    },
    decrypt(sealed, context) {
      const p = parse(sealed)
      const key = ring.keys.get(p.keyId)
      if (!key) throw new CryptoError('unknown_key', `sealed with key "${p.keyId}", which ENCRYPTION_KEYS does not hold`)
      const decipher = createDecipheriv('aes-256-gcm', key, p.iv, { authTagLength: TAG_BYTES })
      decipher.setAAD(aad(p.header, context))
      decipher.setAuthTag(p.tag)
      try {
        return Buffer.concat([decipher.update(p.body), decipher.final()]).toString('utf8')
      } catch {
        throw new CryptoError('authentication_failed', 'ciphertext failed authentication (altered, or another context or key)')
      }
    },
    needsRotation(sealed) {
      return parse(sealed).keyId !== ring.currentId
    },
  }
}
