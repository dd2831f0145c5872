import assert from 'node:assert/strict'
import { cryptoRandom } from '@tessera/core'
import { registerClient } from '../../packages/server/src/domain/service-clients.ts'
import { call, type JsonResponse, type TestServer } from './test-server.ts'

export interface TestClient {
  readonly id: string
  readonly secret: string
  /** `Authorization: Basic …` for this client (RFC 6749 §2.3.1 encoding). */
  readonly headers: Record<string, string>
}

/**
 * The RFC 6749 §2.3.1 Basic header: id and secret form-urlencoded, then base64.
 *
 * @example
 * fetch(url, { headers: { authorization: basicAuth(id, secret) } })
 */
export function basicAuth(id: string, secret: string): string {
  const encode = (value: string): string => encodeURIComponent(value).replaceAll('%20', '+')
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`
}

/**
 * A well-formed secret that is not `secret`: its last character changed to another canonical one.
 *
 * @example
 * postForm(url, '/oauth/token', params, { authorization: basicAuth(client.id, wrongSecret(client.secret)) })
 */
export function wrongSecret(secret: string): string {
  return `${secret.slice(0, -1)}${secret.endsWith('A') ? 'E' : 'A'}`
}

/** Registers a service client straight through the domain (as `tessera clients create` does). */
export async function createTestClient(
  t: TestServer,
  scopes: string,
  name = 'test client',
): Promise<TestClient> {
  const services = t.server.services
  const outcome = await registerClient(
    { store: services.store, clock: services.clock, random: cryptoRandom },
    { name, scopes },
  )
  if (!outcome.ok) throw new Error(`client registration failed: ${outcome.message}`)
  return {
    id: outcome.client.id,
    secret: outcome.secret,
    headers: { authorization: basicAuth(outcome.client.id, outcome.secret) },
  }
}

/** POSTs an `application/x-www-form-urlencoded` body (a raw string is sent as is). */
export async function postForm(
  base: string,
  path: string,
  params: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const rawBody = typeof params === 'string' ? params : new URLSearchParams(params).toString()
  return await call(base, path, {
    method: 'POST',
    rawBody,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  })
}

/** The claims of a compact JWS, decoded without verification (tests only). */
export function decodeClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >
}

/** Asserts RFC 6749 §5.2 `invalid_client`: 401, reason `invalid_credentials`, a Basic challenge. */
export function assertInvalidClient(response: JsonResponse): void {
  assert.equal(response.status, 401, response.text)
  assert.equal(response.body.error, 'invalid_client')
  assert.equal(response.body.reason, 'invalid_credentials')
  assert.equal(response.headers.get('www-authenticate'), 'Basic realm="tessera"')
}
