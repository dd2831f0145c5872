import { type AccessTokenClaims, readAccessTokenClaims } from './access-token-claims.ts'
import { isAccessTokenAlgorithm } from './algorithms.ts'
import { signJws } from './jws-sign.ts'
import type { SigningKey } from './keys.ts'
import { parseStrictJson } from './strict-json.ts'
import { UnsupportedAlgorithmError } from './token-errors.ts'

/**
 * Signs access-token claims as an RFC 9068 JWT with the header `{"alg", "typ": "at+jwt", "kid"}`.
 * The serialised claims are first read back through the verifier's own strict parser and claim rules, so
 * the issuer can never mint a token its guards would reject (a fractional `exp`, an unpaired surrogate, a
 * missing `jti`): such claims throw `malformed` here instead. Only `EdDSA` and `ES256` keys may sign.
 *
 * @example
 * const token = signAccessToken(
 *   { iss, sub: user.id, aud: [iss, 'orders-api'], iat: now, exp: now + 900, jti, client_id: 'web', sid },
 *   currentKey,
 * )
 */
export function signAccessToken(claims: AccessTokenClaims, key: SigningKey): string {
  if (!isAccessTokenAlgorithm(key.alg))
    throw new UnsupportedAlgorithmError('Access tokens use EdDSA or ES256')
  const json = JSON.stringify(claims)
  readAccessTokenClaims(parseStrictJson(json))
  return signJws({ typ: 'at+jwt' }, Buffer.from(json, 'utf8'), key)
}
