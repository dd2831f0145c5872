/**
 * The hostile provider's token endpoint: the checks of a real provider (client authentication, one-time code
 * bound to client and redirect_uri, PKCE S256), honest in every case, then an answer corrupted per case.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  buildIdToken,
  type HostileCase,
  type IdTokenSubject,
  type ProviderKeys,
} from './hostile-oidc-tokens.ts'

/** One request the token endpoint received. `ok` means it passed the honest checks, whatever the case. */
export interface TokenRequestRecord {
  readonly code: string
  readonly codeVerifier: string | undefined
  readonly ok: boolean
  /** Why the honest checks refused it (`undefined` when `ok`). */
  readonly refusal: string | undefined
  readonly clientAuthMethod: 'client_secret_basic' | 'client_secret_post' | 'none' | 'both'
  readonly hasAuthorizationHeader: boolean
  readonly form: Readonly<Record<string, string>>
}

/** A code as the authorization endpoint bound it. */
export interface IssuedCode {
  readonly clientId: string
  readonly redirectUri: string
  readonly codeChallenge: string
  readonly subject: Omit<IdTokenSubject, 'issuer' | 'clientId' | 'clientSecret'>
  used: boolean
}

/** What the token endpoint shares with the rest of the provider. */
export interface TokenEndpointState {
  readonly issuer: string
  readonly clientId: string
  readonly clientSecret: string
  readonly keys: ProviderKeys
  readonly codes: Map<string, IssuedCode>
  readonly tokenRequests: TokenRequestRecord[]
  /** Pending slow answers, cleared by the provider's `close()`. */
  readonly timers: Set<NodeJS.Timeout>
  readonly currentCase: () => HostileCase
}

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description)
  }
}

const slowTokenEndpointMs = 30_000
// RFC 7636 §4.1: 43–128 unreserved characters.
const codeVerifierPattern = /^[A-Za-z0-9\-._~]{43,128}$/

/**
 * Answers one `POST /token` request.
 *
 * @example
 * if (req.method === 'POST' && path === '/token') return handleTokenRequest(req, res, state)
 */
export async function handleTokenRequest(
  req: IncomingMessage,
  res: ServerResponse,
  state: TokenEndpointState,
): Promise<void> {
  const form = await readForm(req)
  const hasAuthorizationHeader = req.headers.authorization !== undefined
  const basic = parseBasic(req.headers.authorization)
  const hasPostSecret = form.has('client_secret')
  const clientAuthMethod =
    basic !== undefined && hasPostSecret
      ? 'both'
      : basic !== undefined
        ? 'client_secret_basic'
        : hasPostSecret
          ? 'client_secret_post'
          : 'none'
  const record = (refusal: string | undefined): void => {
    state.tokenRequests.push({
      code: form.get('code') ?? '',
      codeVerifier: form.get('code_verifier') ?? undefined,
      ok: refusal === undefined,
      refusal,
      clientAuthMethod,
      hasAuthorizationHeader,
      form: Object.fromEntries(form),
    })
  }
  try {
    for (const name of new Set(form.keys())) {
      // RFC 6749 §3.2: request parameters must not be repeated.
      if (form.getAll(name).length > 1) throw new OAuthError(400, 'invalid_request', `repeated ${name}`)
    }
    // RFC 6749 §2.3: a client must not use more than one authentication method in a request.
    if (clientAuthMethod === 'both') throw new OAuthError(400, 'invalid_request', 'two client auth methods')
    const presented = basic ?? { id: form.get('client_id') ?? '', secret: form.get('client_secret') ?? '' }
    const bodyClientId = form.get('client_id')
    const isClient =
      presented.id === state.clientId && (bodyClientId === null || bodyClientId === presented.id)
    if (!isClient || !isSameSecret(presented.secret, state.clientSecret)) {
      throw new OAuthError(401, 'invalid_client', 'client authentication failed')
    }
    if (form.get('grant_type') !== 'authorization_code') {
      throw new OAuthError(400, 'unsupported_grant_type', 'only authorization_code')
    }
    const issued = state.codes.get(form.get('code') ?? '')
    if (issued === undefined) throw new OAuthError(400, 'invalid_grant', 'unknown code')
    // RFC 6749 §4.1.2: one use only. Burnt on first presentation, so a wrong verifier cannot be retried.
    if (issued.used) throw new OAuthError(400, 'invalid_grant', 'code already used')
    issued.used = true
    if (issued.clientId !== presented.id) throw new OAuthError(400, 'invalid_grant', 'code of another client')
    // RFC 6749 §4.1.3: the redirect_uri of the authorization request, identical.
    if (form.get('redirect_uri') !== issued.redirectUri) {
      throw new OAuthError(400, 'invalid_grant', 'redirect_uri differs from the authorization request')
    }
    const verifier = form.get('code_verifier')
    if (verifier === null || !codeVerifierPattern.test(verifier)) {
      throw new OAuthError(400, 'invalid_grant', 'missing or malformed code_verifier')
    }
    // RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) must equal the stored code_challenge.
    if (createHash('sha256').update(verifier).digest('base64url') !== issued.codeChallenge) {
      throw new OAuthError(400, 'invalid_grant', 'code_verifier does not match code_challenge')
    }
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error
    record(error.description)
    if (error.status === 401 && basic !== undefined)
      res.setHeader('WWW-Authenticate', 'Basic realm="hostile"')
    return sendJson(res, error.status, { error: error.error, error_description: error.description })
  }
  record(undefined)
  const answerCase = state.currentCase()
  if (answerCase === 'token_endpoint_error') {
    return sendJson(res, 400, { error: 'invalid_grant', error_description: 'grant refused' })
  }
  const issued = state.codes.get(form.get('code') ?? '') as IssuedCode
  const { issuer, clientId, clientSecret } = state
  const subject: IdTokenSubject = { issuer, clientId, clientSecret, ...issued.subject }
  const answer = (): void => {
    const idToken = buildIdToken(answerCase, subject, state.keys, Math.floor(Date.now() / 1000))
    const accessToken = randomBytes(32).toString('base64url')
    sendJson(res, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      id_token: idToken,
    })
  }
  if (answerCase !== 'slow_token_endpoint') return answer()
  // A provider that stalls: the client must give up on its own timeout, not hang the login.
  const timer = setTimeout(() => {
    state.timers.delete(timer)
    if (!res.destroyed) answer()
  }, slowTokenEndpointMs)
  state.timers.add(timer)
}

/**
 * Writes a JSON answer that no cache may keep.
 *
 * @example
 * sendJson(res, 400, { error: 'invalid_grant' })
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  // RFC 6749 §5.1: token responses carry Cache-Control: no-store and Pragma: no-cache.
  const headers = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' }
  res.writeHead(status, headers).end(JSON.stringify(body))
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > 65_536) throw new Error('body too large')
    chunks.push(chunk as Buffer)
  }
  // RFC 6749 §4.1.3: the token request is application/x-www-form-urlencoded; any other body counts as empty.
  return new URLSearchParams(
    type === 'application/x-www-form-urlencoded' ? Buffer.concat(chunks).toString() : '',
  )
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? '')
  if (match === null) return undefined
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  // RFC 6749 §2.3.1: id and secret are form-urlencoded before being joined and base64-encoded.
  const unform = (s: string): string => {
    try {
      return decodeURIComponent(s.replaceAll('+', ' '))
    } catch {
      return ''
    }
  }
  return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) }
}

function isSameSecret(presented: string, expected: string): boolean {
  // Hash first so timingSafeEqual compares equal lengths and the secret's length does not leak.
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(presented), digest(expected))
}
