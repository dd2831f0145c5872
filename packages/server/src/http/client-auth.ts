import type { FastifyRequest } from 'fastify'
import type { MetaScope } from '../domain/scopes.ts'
import { verifyClientSecret } from '../domain/service-clients.ts'
import type { ClientRecord } from '../store/ports.ts'
import type { AppContext } from './app-context.ts'
import { decodeFormComponent, type FormParams } from './form-body.ts'
import { reject } from './problem.ts'
import { ClientAuthError } from './service-problem.ts'

/** What a request presented to identify its client (RFC 6749 §2.3.1, §3.2.1). */
export type PresentedClient =
  | { readonly kind: 'secret'; readonly clientId: string; readonly secret: string }
  /** `client_id` alone, as a public client identifies itself at the token endpoint. */
  | { readonly kind: 'public'; readonly clientId: string }
  | { readonly kind: 'none' }

const MAX_CREDENTIAL_CHARS = 512
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** RFC 7617 credentials, each half form-urlencoded before base64 (RFC 6749 §2.3.1). */
function parseBasic(header: string): { clientId: string; secret: string } {
  const space = header.indexOf(' ')
  const scheme = space < 0 ? header : header.slice(0, space)
  if (scheme.toLowerCase() !== 'basic') throw new ClientAuthError('use HTTP Basic client authentication')
  const encoded = header.slice(space + 1).trim()
  const bytes = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : undefined
  // Canonical base64 only: a second spelling of the same credentials is a parser differential.
  if (bytes === undefined || bytes.toString('base64') !== encoded) throw new ClientAuthError()
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    throw new ClientAuthError()
  }
  const colon = text.indexOf(':')
  const clientId = colon < 0 ? undefined : decodeFormComponent(text.slice(0, colon))
  const secret = colon < 0 ? undefined : decodeFormComponent(text.slice(colon + 1))
  if (clientId === undefined || secret === undefined || clientId === '') throw new ClientAuthError()
  return { clientId, secret }
}

/**
 * Reads the client's credentials from HTTP Basic or, where the body is a form, from `client_id` and
 * `client_secret`. Two methods at once are refused (RFC 6749 §2.3: "MUST NOT use more than one
 * authentication method in each request"), and so is a body `client_id` that contradicts Basic.
 *
 * @example
 * const presented = readPresentedClient(request, request.body as FormParams)
 */
export function readPresentedClient(request: FastifyRequest, form?: FormParams): PresentedClient {
  const header = request.headers.authorization
  const formId = form?.client_id
  const formSecret = form?.client_secret
  if (header !== undefined) {
    if (header.length > MAX_CREDENTIAL_CHARS) throw new ClientAuthError()
    const basic = parseBasic(header)
    if (formSecret !== undefined || (formId !== undefined && formId !== basic.clientId)) {
      throw reject('invalid_request', {
        field: 'client_secret',
        message: 'authenticate the client in exactly one way',
      })
    }
    return { kind: 'secret', clientId: basic.clientId, secret: basic.secret }
  }
  if (formSecret !== undefined) {
    if (formId === undefined) throw new ClientAuthError('client_secret needs client_id')
    return { kind: 'secret', clientId: formId, secret: formSecret }
  }
  return formId === undefined ? { kind: 'none' } : { kind: 'public', clientId: formId }
}

/**
 * Checks presented secret credentials. Failures count against the client id and the caller's IP (the
 * login throttle rules), so a guessing client is slowed; successes cost nothing, since services call these
 * endpoints at request rate. Every failure is the same `invalid_client`.
 *
 * @example
 * const client = await verifyPresentedClient(request, ctx, presented)
 */
export async function verifyPresentedClient(
  request: FastifyRequest,
  ctx: AppContext,
  presented: Extract<PresentedClient, { kind: 'secret' }>,
): Promise<ClientRecord> {
  const buckets = [
    { key: `client-auth:client:${presented.clientId}`, rule: ctx.config.throttle.loginPerAccount },
    { key: `client-auth:ip:${request.ip}`, rule: ctx.config.throttle.loginPerIp },
  ]
  for (const { key, rule } of buckets) {
    const standing = await ctx.throttle.peek(key, rule)
    if (!standing.allowed) throw reject('rate_limited', { retryAfterSeconds: standing.retryAfterSeconds })
  }
  const client =
    presented.clientId.length <= MAX_CREDENTIAL_CHARS && presented.secret.length <= MAX_CREDENTIAL_CHARS
      ? await verifyClientSecret(ctx.store, presented.clientId, presented.secret)
      : undefined
  if (client === undefined) {
    for (const { key, rule } of buckets) await ctx.throttle.consume(key, rule)
    throw new ClientAuthError()
  }
  return client
}

/**
 * Authenticates the calling client, which must present a secret (Basic, or form fields where `form` is
 * given).
 *
 * @example
 * const client = await authenticateClient(request, ctx)
 * requireClientScope(client, META_SCOPES.mint)
 */
export async function authenticateClient(
  request: FastifyRequest,
  ctx: AppContext,
  form?: FormParams,
): Promise<ClientRecord> {
  const presented = readPresentedClient(request, form)
  if (presented.kind !== 'secret') throw new ClientAuthError('client authentication is required')
  return await verifyPresentedClient(request, ctx, presented)
}

/**
 * Refuses an authenticated client that lacks a meta scope: 403 `insufficient_scope`.
 *
 * @example
 * requireClientScope(client, META_SCOPES.readRevocations)
 */
export function requireClientScope(client: ClientRecord, scope: MetaScope): void {
  if (!client.scopes.includes(scope)) {
    throw reject('insufficient_scope', { message: `this client lacks the ${scope} scope` })
  }
}
