/**
 * A stored signing key cannot be decrypted. The message tells the operator the likely cause, a changed
 * server secret, and never contains key material, the ciphertext or the library's own message.
 */

export type KeyDecryptionFailure = 'unsupported_version' | 'malformed' | 'authentication_failed'

function describe(failure: KeyDecryptionFailure, kid: string): string {
  const name = JSON.stringify(kid.slice(0, 100))
  switch (failure) {
    case 'unsupported_version':
      return `Stored signing key ${name} is in an encryption format this version of Tessera does not know; was it written by a newer version?`
    case 'malformed':
      return `Stored signing key ${name} is not a well-formed encrypted key; the database row was altered or truncated.`
    case 'authentication_failed':
      return (
        `Cannot decrypt stored signing key ${name}: the server secret (TESSERA_SECRET or <dataDir>/secret) has ` +
        'probably changed since the key was stored, or the stored key was altered. Restore the original secret.'
      )
  }
}

/** Decrypting a stored private key failed; `failure` says how. */
export class KeyDecryptionError extends Error {
  static readonly code = 'key_decryption_failed'
  readonly code = KeyDecryptionError.code
  readonly failure: KeyDecryptionFailure
  readonly kid: string

  constructor(failure: KeyDecryptionFailure, kid: string) {
    super(describe(failure, kid))
    this.name = 'KeyDecryptionError'
    this.failure = failure
    this.kid = kid
  }
}
