/**
 * @tessera/core — the token format shared by the auth server and the guard: strict compact-JWS parsing,
 * signing and verification, RFC 9068 access-token claim rules, SPEC §4 reason codes as errors, JWK helpers,
 * and the clock and randomness seams. No HTTP, no drivers; only `node:crypto` at run time.
 */

export {
  type AccessTokenCheck,
  type AccessTokenVerifyOptions,
  checkAccessToken,
  verifyAccessToken,
} from './access-token.ts'
export { type AccessTokenClaims, readAccessTokenClaims } from './access-token-claims.ts'
export { signAccessToken } from './access-token-sign.ts'
export {
  ACCESS_TOKEN_ALGORITHMS,
  type AccessTokenAlgorithm,
  isAccessTokenAlgorithm,
  isJwsAlgorithm,
  type JwsAlgorithm,
} from './algorithms.ts'
export { decodeBase64urlCanonical, encodeBase64url } from './base64url.ts'
export { type Clock, createManualClock, type ManualClock, systemClock } from './clock.ts'
export { createError } from './create-error.ts'
export { computeDpopAth, normalizeDpopUrl } from './dpop-binding.ts'
export { checkDpopKey, type DpopAlgorithm, type DpopKeyCheck, type DpopPublicJwk } from './dpop-key.ts'
export {
  DPOP_NONCE_STEP_SECONDS,
  isDpopNonceFresh,
  issueDpopNonce,
  MIN_DPOP_NONCE_KEY_BYTES,
} from './dpop-nonce.ts'
export { type DpopCheck, type DpopProofOptions, type DpopProofResult, verifyDpopProof } from './dpop-proof.ts'
export { type CreateDpopProofOptions, createDpopProof } from './dpop-proof-create.ts'
export { TesseraError, type TesseraErrorOptions } from './errors.ts'
export { computeJwkThumbprint, exportPublicJwk, type PublicJwk, type ThumbprintInput } from './jwk-export.ts'
export { type ImportVerificationJwkOptions, importVerificationJwk } from './jwk-import.ts'
export {
  DEFAULT_MAX_TOKEN_LENGTH,
  type JwsHeader,
  type ParseCompactJwsOptions,
  type ParsedJws,
  parseCompactJws,
} from './jws-parse.ts'
export { type SignJwsHeader, signJws } from './jws-sign.ts'
export { createSignature, isSignatureValid } from './jws-signature.ts'
export { type KeyResolver, verifyJws } from './jws-verify.ts'
export {
  exportPkcs8,
  generateSigningKey,
  importPkcs8,
  type SigningKey,
  toVerificationKey,
  type VerificationKey,
} from './keys.ts'
export { cryptoRandom, type RandomSource } from './random.ts'
export { isReasonCode, REASON_CODES, type ReasonCode } from './reason-codes.ts'
export * from './request-errors.ts'
export { isJsonObject, parseStrictJson, parseStrictJsonBytes, type StrictJsonOptions } from './strict-json.ts'
export * from './token-errors.ts'
