import { type DpopProofResult, verifyDpopProof } from '@tessera/core'

/**
 * A fake issuer and a fake API behind the client's `fetch` seam, speaking the server's DPoP contract
 * (RFC 9449 as Tessera answers it): every proof is checked with core's `verifyDpopProof` and recorded, so
 * tests assert on what the client really produced. Tests only; the client itself never imports core.
 */

/** One request that reached a fake, with the verdict on its proof (`undefined` when it carried none). */
export interface SeenProofRequest {
  readonly origin: string
  readonly path: string
  readonly method: string
  readonly headers: Headers
  readonly body: string
  readonly proof: string | undefined
  readonly verdict: DpopProofResult | undefined
}

/** How a fake answers nonces: never asks, asks until it gets its current one, or asks every time. */
export type NoncePolicy = 'none' | 'required' | 'always'

/** Knobs of {@link createFakeDpopServers}; tests change them between calls. */
export interface FakeDpopKnobs {
  issuerNonces: NoncePolicy
  apiNonces: NoncePolicy
  /** What `token_type` the issuer answers with when it got a proof (a downgrading server says Bearer). */
  tokenType: 'DPoP' | 'Bearer'
  /** Access tokens the API calls expired. */
  readonly expired: Set<string>
  /** Answer the next refresh with 400 `invalid_grant` / `dpop_invalid` (a refresh with the wrong key). */
  refuseRefreshWithDpopInvalid: boolean
  /** Whether token answers carry a refresh token (without one, sign-out sends the access token). */
  withRefreshToken: boolean
}

export interface FakeDpopServers {
  readonly fetch: typeof fetch
  readonly seen: SeenProofRequest[]
  readonly knobs: FakeDpopKnobs
  /** The `cnf.jkt` the issuer bound the tokens to (from the first proof it accepted). */
  boundJkt(): string | undefined
}

export const FAKE_ISSUER = 'https://auth.example.test'
export const FAKE_API = 'https://api.example.test'

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })

/** Whether a fake answers `use_dpop_nonce`: always, or when the proof lacked the current nonce. */
function needsNonce(policy: NoncePolicy, verdict: DpopProofResult | undefined): boolean {
  if (policy === 'always') return true
  return policy === 'required' && verdict !== undefined && !verdict.ok && verdict.check === 'nonce'
}

function mintAccessToken(serial: number, nowSeconds: number): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const payload = { sub: 'usr_1', iat: nowSeconds, exp: nowSeconds + 900, n: serial }
  return `${encode({ alg: 'EdDSA', typ: 'at+jwt' })}.${encode(payload)}.c2ln`
}

/**
 * Creates the two fakes. The issuer answers `/v1/login`, `/v1/signup`, `/v1/refresh` and `/v1/logout`; the
 * API answers anything with 200 for a live DPoP-bound token and a valid proof by the bound key.
 *
 * @example
 * const servers = createFakeDpopServers()
 * const client = createClient({ issuer: FAKE_ISSUER, mode: 'token', dpop: true, fetch: servers.fetch })
 */
export function createFakeDpopServers(): FakeDpopServers {
  const seen: SeenProofRequest[] = []
  const knobs: FakeDpopKnobs = {
    issuerNonces: 'none',
    apiNonces: 'none',
    tokenType: 'DPoP',
    expired: new Set(),
    refuseRefreshWithDpopInvalid: false,
    withRefreshToken: true,
  }
  const nonces = { [FAKE_ISSUER]: 'issuer-nonce-0', [FAKE_API]: 'api-nonce-0' }
  let serial = 0
  let jkt: string | undefined
  const liveTokens = new Set<string>()

  const nextNonce = (origin: typeof FAKE_ISSUER | typeof FAKE_API): string => {
    serial += 1
    nonces[origin] = `${origin === FAKE_ISSUER ? 'issuer' : 'api'}-nonce-${serial}`
    return nonces[origin]
  }

  const issuer = (request: SeenProofRequest): Response => {
    const { verdict, path } = request
    const policy = knobs.issuerNonces
    if (needsNonce(policy, verdict)) {
      const body = {
        error: 'use_dpop_nonce',
        reason: 'dpop_invalid',
        message: 'a fresh DPoP nonce is required',
      }
      return json(400, body, { 'dpop-nonce': nextNonce(FAKE_ISSUER) })
    }
    if (verdict !== undefined && !verdict.ok)
      return json(400, { error: 'invalid_dpop_proof', reason: 'dpop_invalid', message: verdict.detail })
    const extra: Record<string, string> = policy === 'none' ? {} : { 'dpop-nonce': nextNonce(FAKE_ISSUER) }
    if (path === '/v1/logout') return new Response(null, { status: 204, headers: extra })
    // The session is bound to the first key that proved: a refresh by any other key is refused.
    const isWrongKey = jkt !== undefined && verdict !== undefined && verdict.jkt !== jkt
    if (path === '/v1/refresh' && (knobs.refuseRefreshWithDpopInvalid || isWrongKey))
      return json(400, { error: 'invalid_grant', reason: 'dpop_invalid', message: 'wrong key' })
    jkt ??= verdict?.jkt
    serial += 1
    const accessToken = mintAccessToken(serial, Math.floor(Date.now() / 1000))
    liveTokens.add(accessToken)
    const tokenType = verdict === undefined ? 'Bearer' : knobs.tokenType
    const user = { id: 'usr_1', email: 'ada@example.com', name: 'Ada' }
    const body = { access_token: accessToken, token_type: tokenType, expires_in: 900, user }
    const session = knobs.withRefreshToken ? { refresh_token: `rt_${serial}`, session_id: 'ses_1' } : {}
    return json(path === '/v1/signup' ? 201 : 200, { ...body, ...session }, extra)
  }

  const api = (request: SeenProofRequest): Response => {
    const authorization = request.headers.get('authorization') ?? ''
    const token = authorization.startsWith('DPoP ') ? authorization.slice(5) : undefined
    const challenge = (error: string, description?: string): string =>
      `DPoP realm="api", error="${error}"${description ? `, error_description="${description}"` : ''}, algs="ES256 EdDSA"`
    if (token === undefined || !liveTokens.has(token) || request.verdict === undefined)
      return json(
        401,
        { error: 'invalid_token', reason: 'missing_token' },
        { 'www-authenticate': 'DPoP realm="api"' },
      )
    if (needsNonce(knobs.apiNonces, request.verdict)) {
      const headers = { 'www-authenticate': challenge('use_dpop_nonce'), 'dpop-nonce': nextNonce(FAKE_API) }
      return json(401, { error: 'use_dpop_nonce', reason: 'dpop_invalid' }, headers)
    }
    if (!request.verdict.ok) {
      const headers = { 'www-authenticate': challenge('invalid_dpop_proof', 'dpop_invalid') }
      return json(401, { error: 'invalid_dpop_proof', reason: 'dpop_invalid' }, headers)
    }
    if (knobs.expired.has(token))
      return json(401, { reason: 'expired' }, { 'www-authenticate': challenge('invalid_token', 'expired') })
    return json(200, { ok: true, path: request.path })
  }

  const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    const proof = request.headers.get('dpop') ?? undefined
    const origin = url.origin === FAKE_ISSUER ? FAKE_ISSUER : FAKE_API
    const authorization = request.headers.get('authorization') ?? ''
    const accessToken = authorization.startsWith('DPoP ') ? authorization.slice(5) : undefined
    const policy = origin === FAKE_ISSUER ? knobs.issuerNonces : knobs.apiNonces
    const verdict =
      proof === undefined
        ? undefined
        : verifyDpopProof(proof, {
            method: request.method,
            url: request.url,
            nowSeconds: Math.floor(Date.now() / 1000),
            ...(policy === 'none' ? {} : { nonce: nonces[origin] }),
            ...(accessToken === undefined ? {} : { accessToken }),
            ...(origin === FAKE_API && jkt !== undefined ? { expectedJkt: jkt } : {}),
          })
    const body = request.body === null ? '' : await request.text()
    const seenRequest = {
      origin: url.origin,
      path: url.pathname,
      method: request.method,
      headers: new Headers(request.headers),
      body,
      proof,
      verdict,
    }
    seen.push(seenRequest)
    return origin === FAKE_ISSUER ? issuer(seenRequest) : api(seenRequest)
  }

  return { fetch: fakeFetch as typeof fetch, seen, knobs, boundJkt: () => jkt }
}
