import type { GuardClientCredentials } from './guard-options.ts'

/**
 * Where a guard reaches its auth server (docs/guard-protocol.md): every URL is derived from the configured
 * issuer alone — metadata by RFC 8414 §3.1, the feed and the use counter under the issuer's base — and
 * never from anything a token says, so a token cannot steer the guard to a server of its choosing.
 */
function issuerBase(issuer: string): string {
  return issuer.endsWith('/') ? issuer.slice(0, -1) : issuer
}

/**
 * RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
 *
 * @example
 * metadataUrlFor('https://auth.example.com/tenant')
 * // 'https://auth.example.com/.well-known/oauth-authorization-server/tenant'
 */
export function metadataUrlFor(issuer: string): string {
  const url = new URL(issuer)
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')
  return `${url.origin}/.well-known/oauth-authorization-server${path}`
}

/**
 * The revocation feed, `GET {issuer}/v1/revocations` (server-sent events).
 *
 * @example
 * revocationFeedUrlFor('http://localhost:8080') // 'http://localhost:8080/v1/revocations'
 */
export function revocationFeedUrlFor(issuer: string): string {
  return `${issuerBase(issuer)}/v1/revocations`
}

/**
 * The `max_uses` counter, `POST {issuer}/v1/token-uses`.
 *
 * @example
 * tokenUsesUrlFor('http://localhost:8080') // 'http://localhost:8080/v1/token-uses'
 */
export function tokenUsesUrlFor(issuer: string): string {
  return `${issuerBase(issuer)}/v1/token-uses`
}

/**
 * The HTTP Basic `Authorization` value for the guard's client. RFC 6749 §2.3.1: id and secret are
 * form-urlencoded before they are joined, so a `:` in either cannot shift the split.
 *
 * @example
 * basicAuthorization({ id: 'orders-api', secret: 's3cret' }) // 'Basic b3JkZXJzLWFwaTpzM2NyZXQ='
 */
export function basicAuthorization(client: GuardClientCredentials): string {
  const pair = `${formEncode(client.id)}:${formEncode(client.secret)}`
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`
}

function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1)
}
