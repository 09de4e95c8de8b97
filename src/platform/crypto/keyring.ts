// ENCRYPTION_KEYS: "id:base64key,id:base64key,...", newest first. The first key encrypts; every key
// decrypts, so a key is retired by moving it back, rotating what it sealed, then removing it.
// Parsing is strict because a typo here is discovered only when data can no longer be read.

export const KEY_BYTES = 32
/** Key ids appear inside every ciphertext, so they are short and free of the format's separators. */
export const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

export class KeyringError extends Error {}

export interface Keyring {
  /** The id that new ciphertexts carry. */
  currentId: string
  keys: ReadonlyMap<string, Buffer>
}

export function parseKeyring(spec: string): Keyring {
  const entries = spec.split(',').map((e) => e.trim())
  if (entries.length === 1 && entries[0] === '') throw new KeyringError('no key given (expected id:base64key[,id:base64key...])')
  const keys = new Map<string, Buffer>()
  entries.forEach((entry, i) => {
    const where = `key ${i + 1}`
    if (entry === '') throw new KeyringError(`${where} is empty (a stray comma?)`)
    const colon = entry.indexOf(':')
    if (colon < 0) throw new KeyringError(`${where} has no id: expected id:base64key, e.g. k2026:${'A'.repeat(43)}=`)
    const id = entry.slice(0, colon)
    const b64 = entry.slice(colon + 1)
    if (!KEY_ID.test(id)) throw new KeyringError(`${where}: id "${id}" must be 1-32 characters of A-Z a-z 0-9 _ -`)
    if (keys.has(id)) throw new KeyringError(`${where}: id "${id}" appears twice`)
    const key = Buffer.from(b64, 'base64')
    // Buffer.from ignores what is not base64; a round trip catches truncated or mistyped keys.
    if (!BASE64.test(b64) || key.toString('base64') !== b64) throw new KeyringError(`${where} ("${id}"): the key is not valid base64`)
    if (key.length !== KEY_BYTES)
      throw new KeyringError(`${where} ("${id}"): the key is ${key.length} bytes; AES-256 needs ${KEY_BYTES} (openssl rand -base64 32)`)
    keys.set(id, key)
  })
  return { currentId: entries[0].slice(0, entries[0].indexOf(':')), keys }
}

/** True when any key in the ring has these bytes, whatever its id. */
export function keyringHolds(ring: Keyring, key: Buffer): boolean {
  return [...ring.keys.values()].some((k) => k.equals(key))
}
