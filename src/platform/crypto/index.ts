export { createFieldCrypto, CryptoError, type CryptoErrorCode, type FieldCrypto } from './field-encryption'
export { parseKeyring, keyringHolds, KeyringError, type Keyring } from './keyring'
