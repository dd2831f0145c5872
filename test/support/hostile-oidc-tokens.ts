/**
 * The ID tokens of the hostile OpenID Provider (`hostile-oidc-provider.ts`): hand-made compact JWS, signed with
 * node:crypto alone so that it can produce what no JWT library would (`alg: none`, HS256 keyed with the client
 * secret, a flipped signature byte, a `kid` missing from the JWKS) and one corruption per case.
 */
import { createHmac, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto'

/** One way the provider misbehaves; `honest` is a correct provider. */
export type HostileCase =
  | 'honest'
  | 'wrong_iss'
  | 'wrong_aud'
  | 'extra_aud_without_azp'
  | 'wrong_azp'
  | 'missing_nonce'
  | 'wrong_nonce'
  | 'expired'
  | 'issued_in_future'
  | 'alg_none'
  | 'hs256_client_secret'
  | 'bad_signature'
  | 'unknown_kid'
  | 'mixup_iss_param'
  | 'no_id_token'
  | 'token_endpoint_error'
  | 'slow_token_endpoint'

/** What each case does; a `Record` so that a case added to the union without a description fails typecheck. */
export const hostileCaseDescriptions: Readonly<Record<HostileCase, string>> = {
  honest: 'a correct provider: everything valid',
  wrong_iss: 'ID token iss is another issuer (https://attacker.example)',
  wrong_aud: "ID token aud is another client id ('other-client')",
  extra_aud_without_azp: "ID token aud is [clientId, 'other-client'] and there is no azp",
  wrong_azp: "ID token aud is [clientId, 'other'] and azp is 'other'",
  missing_nonce: 'ID token has no nonce claim',
  wrong_nonce: 'ID token nonce is not the one from the authorization request',
  expired: 'ID token exp is now-600, iat now-900',
  issued_in_future: 'ID token iat and nbf are now+3600 (exp now+4200)',
  alg_none: "ID token header is {alg:'none'} with an empty signature",
  hs256_client_secret: 'ID token is HS256, keyed with the client secret (RFC 8725 §2.1 algorithm confusion)',
  bad_signature: 'ID token is RS256 with kid k1 and one flipped signature byte',
  unknown_kid: 'ID token is RS256, validly signed by a key that is not in the JWKS',
  mixup_iss_param: "authorization response 'iss' parameter names another issuer (RFC 9207 mix-up)",
  no_id_token: 'token response has no id_token',
  token_endpoint_error: "token endpoint answers 400 {error:'invalid_grant'}",
  slow_token_endpoint: 'token endpoint holds the response for 30 s, then answers honestly',
}

/** Every case, in declaration order. */
export const hostileCases: readonly HostileCase[] = Object.keys(hostileCaseDescriptions) as HostileCase[]

/** The issuer a hostile token or authorization response claims instead of the real one. */
export const attackerIssuer = 'https://attacker.example'

/** The provider's signing keys: `k1` is published in the JWKS, `unknown` never is. */
export interface ProviderKeys {
  readonly k1: KeyObject
  readonly k1PublicJwk: Readonly<Record<string, unknown>>
  readonly unknown: KeyObject
}

/** Who the code was issued to and for, as bound at the authorization endpoint. */
export interface IdTokenSubject {
  readonly issuer: string
  readonly clientId: string
  readonly clientSecret: string
  readonly nonce: string
  readonly sub: string
  readonly email: string
  readonly emailVerified: boolean
}

/**
 * Generates the provider's RSA keys (2048 bits): `k1` for the JWKS and an unpublished one for `unknown_kid`.
 *
 * @example
 * const keys = generateProviderKeys()
 * const jwks = { keys: [keys.k1PublicJwk] }
 */
export function generateProviderKeys(): ProviderKeys {
  const k1 = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const unknown = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = k1.publicKey.export({ format: 'jwk' })
  return {
    k1: k1.privateKey,
    k1PublicJwk: { kty: jwk.kty, n: jwk.n, e: jwk.e, kid: 'k1', use: 'sig', alg: 'RS256' },
    unknown: unknown.privateKey,
  }
}

/**
 * Builds the ID token the given case answers with, or `undefined` for the cases whose token response has none
 * (`no_id_token`) or whose corruption is not in the token (`mixup_iss_param`, `slow_token_endpoint` and
 * `token_endpoint_error` answer with an honest one or none).
 *
 * @example
 * const idToken = buildIdToken('alg_none', subject, keys, Math.floor(Date.now() / 1000))
 */
export function buildIdToken(
  hostileCase: HostileCase,
  subject: IdTokenSubject,
  keys: ProviderKeys,
  nowSeconds: number,
): string | undefined {
  if (hostileCase === 'no_id_token') return undefined
  const claims: Record<string, unknown> = {
    iss: subject.issuer,
    sub: subject.sub,
    aud: subject.clientId,
    exp: nowSeconds + 600,
    iat: nowSeconds,
    nonce: subject.nonce,
    email: subject.email,
    email_verified: subject.emailVerified,
  }
  switch (hostileCase) {
    case 'wrong_iss':
      claims.iss = attackerIssuer
      break
    case 'wrong_aud':
      claims.aud = 'other-client'
      break
    case 'extra_aud_without_azp':
      // OIDC Core §2: with several audiences the client must find itself in azp; here there is none.
      claims.aud = [subject.clientId, 'other-client']
      break
    case 'wrong_azp':
      claims.aud = [subject.clientId, 'other']
      claims.azp = 'other'
      break
    case 'missing_nonce':
      delete claims.nonce
      break
    case 'wrong_nonce':
      // A token minted for another login (replay / injection): OIDC Core §3.1.3.7 item 11.
      claims.nonce = randomBytes(16).toString('base64url')
      break
    case 'expired':
      // Far beyond any reasonable leeway (seconds to a couple of minutes).
      claims.exp = nowSeconds - 600
      claims.iat = nowSeconds - 900
      break
    case 'issued_in_future':
      claims.iat = nowSeconds + 3600
      claims.nbf = nowSeconds + 3600
      claims.exp = nowSeconds + 4200
      break
    default:
      break
  }
  const payload = encodeJson(claims)
  switch (hostileCase) {
    case 'alg_none': {
      // RFC 7518 §3.6 unsecured JWS: a verifier that trusts the header's alg accepts anything.
      return `${encodeJson({ alg: 'none' })}.${payload}.`
    }
    case 'hs256_client_secret': {
      // RFC 8725 §2.1: a verifier that lets the header pick the algorithm may check this HMAC with a secret
      // the attacker also knows (a client secret is shared; kid k1 points at the RSA key to confuse lookups).
      const input = `${encodeJson({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${payload}`
      return `${input}.${createHmac('sha256', subject.clientSecret).update(input).digest('base64url')}`
    }
    case 'bad_signature': {
      const input = `${encodeJson({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${payload}`
      const signature = sign('sha256', Buffer.from(input), keys.k1)
      // Flip a whole decoded byte: the last base64url character carries padding bits a decoder may ignore.
      signature[0] = (signature[0] as number) ^ 0x01
      return `${input}.${signature.toString('base64url')}`
    }
    case 'unknown_kid':
      return signRs256(payload, keys.unknown, 'k2-not-in-jwks')
    default:
      return signRs256(payload, keys.k1, 'k1')
  }
}

/** A compact JWS split and decoded without any verification, for assertions on what the harness produced. */
export interface DecodedJws {
  readonly header: Record<string, unknown>
  readonly claims: Record<string, unknown>
  readonly signingInput: string
  readonly signature: Buffer
}

/**
 * Decodes a compact JWS without verifying it (tests only: asserts what a hostile token really carries).
 *
 * @example
 * assert.equal(decodeJws(idToken).header.alg, 'none')
 */
export function decodeJws(jws: string): DecodedJws {
  const parts = jws.split('.')
  if (parts.length !== 3) throw new Error(`expected 3 JWS segments, got ${parts.length}`)
  const [header, payload, signature] = parts as [string, string, string]
  return {
    header: parseJsonObject(Buffer.from(header, 'base64url').toString('utf8')),
    claims: parseJsonObject(Buffer.from(payload, 'base64url').toString('utf8')),
    signingInput: `${header}.${payload}`,
    signature: Buffer.from(signature, 'base64url'),
  }
}

function signRs256(payload: string, key: KeyObject, kid: string): string {
  const input = `${encodeJson({ alg: 'RS256', typ: 'JWT', kid })}.${payload}`
  // node:crypto signs with RSASSA-PKCS1-v1_5 for RSA keys by default: exactly RS256 (RFC 7518 §3.3).
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`
}

function encodeJson(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function parseJsonObject(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text)
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('not a JSON object')
  return value as Record<string, unknown>
}
