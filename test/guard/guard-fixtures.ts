import { createHash } from 'node:crypto'
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import type { AccessTokenClaims } from '@tessera/core'

/** The audience every guard under test answers to. */
export const AUDIENCE = 'orders-api'

let jtiCounter = 0

/**
 * Claims of a valid token for `issuer` at `nowSeconds`; `overrides` replace members, `undefined` removes one.
 *
 * @example
 * signAccessToken(tokenClaims(issuer.url, clock.nowSeconds(), { scope: 'orders:read' }), key)
 */
export function tokenClaims(
  issuer: string,
  nowSeconds: number,
  overrides: Readonly<Record<string, unknown>> = {},
): AccessTokenClaims {
  jtiCounter += 1
  const claims: Record<string, unknown> = {
    iss: issuer,
    sub: 'usr_alice',
    aud: [issuer, AUDIENCE],
    exp: nowSeconds + 600,
    iat: nowSeconds,
    jti: `jti-${process.pid}-${jtiCounter}`,
    client_id: 'web',
    sid: 'ses_alice',
    scope: 'openid orders:read',
    ...overrides,
  }
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
  return claims as unknown as AccessTokenClaims
}

/** base64url(SHA-256(value)): the `fph` claim for a fingerprint cookie value. */
export function fingerprintHash(value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

/** The RFC 6750 challenge the guard must send for a reason. */
export function challengeFor(reason: string, error = 'invalid_token', extra = ''): string {
  return `Bearer realm="tessera", error="${error}", error_description="${reason}"${extra}`
}

export interface RawResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Record<string, unknown>
}

/**
 * One HTTP request through node:http rather than fetch, because fetch folds repeated headers into one and
 * the tests must send two real `Authorization` lines.
 *
 * @example
 * const response = await send(server.url, '/orders', { headers: { authorization: `Bearer ${token}` } })
 */
export function send(
  base: string,
  path: string,
  init: { readonly method?: string; readonly headers?: OutgoingHttpHeaders; readonly json?: unknown } = {},
): Promise<RawResponse> {
  const body = init.json === undefined ? undefined : JSON.stringify(init.json)
  const headers: OutgoingHttpHeaders = { ...init.headers }
  if (body !== undefined) headers['content-type'] = 'application/json'
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      `${base}${path}`,
      { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, agent: false },
      (incoming) => {
        const chunks: Buffer[] = []
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let parsed: Record<string, unknown> = {}
          try {
            parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)
          } catch {
            parsed = { unparsed: text }
          }
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: parsed })
        })
        incoming.on('error', reject)
      },
    )
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}

/** Bearer header for a token. */
export function bearer(token: string): OutgoingHttpHeaders {
  return { authorization: `Bearer ${token}` }
}

/**
 * Polls a condition until it holds (events crossing a real socket take a moment), failing after `timeoutMs`.
 * Used for network arrival only, never to wait for a token to expire.
 */
export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
