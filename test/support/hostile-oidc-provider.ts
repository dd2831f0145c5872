/**
 * A hand-made HOSTILE OpenID Provider for negative tests of an OIDC relying party (Tessera's "Sign in with …").
 * Its front door is honest (a real provider's checks on the authorization request, client authentication,
 * one-time codes and PKCE S256), and what it answers is corrupted per `HostileCase`: the ID token's claims,
 * header or signature, the RFC 9207 `iss` authorization response parameter, or the token endpoint itself.
 * node:http and node:crypto only, so that it can mint what no library would.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import {
  handleTokenRequest,
  type IssuedCode,
  sendJson,
  type TokenEndpointState,
  type TokenRequestRecord,
} from './hostile-oidc-token-endpoint.ts'
import { attackerIssuer, generateProviderKeys, type HostileCase } from './hostile-oidc-tokens.ts'

export type { TokenRequestRecord } from './hostile-oidc-token-endpoint.ts'
export type { HostileCase } from './hostile-oidc-tokens.ts'

export interface HostileProvider {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly issuer: string
  readonly clientId: string
  readonly clientSecret: string
  /** Switches the misbehaviour; each endpoint reads the case current when it answers. */
  setCase(c: HostileCase): void
  /**
   * Plays the user's visit to the authorization endpoint without a browser and returns the redirect URL
   * (`redirect_uri?code=…&state=…&iss=…`, `iss` per case). A request at another endpoint, for another client or
   * an unregistered redirect_uri throws (RFC 6749 §4.1.2.1: never redirect there); any other defect (no PKCE S256,
   * no state or nonce, no `openid` scope, …) returns an `error=invalid_request` redirect. Both are recorded in
   * `refusedAuthorizations`. `options.error` (e.g. 'access_denied') returns that error redirect instead of a code.
   */
  authorize(
    authorizationUrl: string,
    options?: { sub?: string; email?: string; emailVerified?: boolean; error?: string },
  ): string
  readonly tokenRequests: readonly TokenRequestRecord[]
  readonly refusedAuthorizations: readonly string[]
  close(): Promise<void>
}

// RFC 7636 §4.2: an S256 challenge is exactly 43 base64url characters.
const s256ChallengePattern = /^[A-Za-z0-9_-]{43}$/

/**
 * Starts the hostile provider on a free loopback port, in case 'honest', with a fresh client id and secret.
 *
 * @example
 * const op = await startHostileProvider({ redirectUris: ['http://127.0.0.1:3000/v1/oidc/op/callback'] })
 * op.setCase('alg_none')
 * const callbackUrl = op.authorize(startRedirectLocation)
 */
export async function startHostileProvider(options: {
  redirectUris: readonly string[]
}): Promise<HostileProvider> {
  const keys = generateProviderKeys()
  const clientId = `client-${randomBytes(6).toString('hex')}`
  const clientSecret = randomBytes(32).toString('base64url')
  const redirectUris = [...options.redirectUris]
  const codes = new Map<string, IssuedCode>()
  const tokenRequests: TokenRequestRecord[] = []
  const refusedAuthorizations: string[] = []
  const timers = new Set<NodeJS.Timeout>()
  let currentCase: HostileCase = 'honest'
  let issuer = ''

  const authorize: HostileProvider['authorize'] = (authorizationUrl, authorizeOptions = {}) => {
    const refuse = (reason: string): never => {
      refusedAuthorizations.push(reason)
      throw new Error(`hostile provider refused the authorization request: ${reason}`)
    }
    let url: URL
    try {
      url = new URL(authorizationUrl)
    } catch {
      return refuse('authorization URL does not parse')
    }
    if (`${url.origin}${url.pathname}` !== `${issuer}/authorize`) refuse(`not this provider's endpoint`)
    const params = url.searchParams
    const single = (name: string): string | undefined =>
      params.getAll(name).length === 1 ? params.get(name) || undefined : undefined
    const clientIdParam = single('client_id')
    const redirectUri = single('redirect_uri')
    if (clientIdParam !== clientId) refuse('unknown or missing client_id')
    if (redirectUri === undefined || !redirectUris.includes(redirectUri)) refuse('unregistered redirect_uri')
    const state = single('state')
    const back = (values: Record<string, string>): string => {
      const target = new URL(redirectUri as string)
      for (const [name, value] of Object.entries(values)) target.searchParams.set(name, value)
      if (state !== undefined) target.searchParams.set('state', state)
      // RFC 9207 §2: the issuer identifies who answered, so a client can refuse a mixed-up response.
      target.searchParams.set('iss', currentCase === 'mixup_iss_param' ? attackerIssuer : issuer)
      return target.href
    }
    const defect = findRequestDefect(params, single)
    if (defect !== undefined) {
      refusedAuthorizations.push(defect)
      return back({ error: 'invalid_request', error_description: defect })
    }
    if (authorizeOptions.error !== undefined) return back({ error: authorizeOptions.error })
    const code = randomBytes(32).toString('base64url')
    codes.set(code, {
      clientId,
      redirectUri: redirectUri as string,
      codeChallenge: single('code_challenge') as string,
      subject: {
        nonce: single('nonce') as string,
        sub: authorizeOptions.sub ?? 'hostile-user-1',
        email: authorizeOptions.email ?? 'user1@hostile.example',
        emailVerified: authorizeOptions.emailVerified ?? true,
      },
      used: false,
    })
    return back({ code })
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://placeholder').pathname
    const route = async (): Promise<void> => {
      if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
        return sendJson(res, 200, discoveryDocument(issuer))
      }
      if (req.method === 'GET' && path === '/jwks') return sendJson(res, 200, { keys: [keys.k1PublicJwk] })
      if (req.method === 'POST' && path === '/token') return handleTokenRequest(req, res, tokenState())
      if (req.method === 'GET' && path === '/authorize') {
        // The browser path: the same checks, then a 302 back to the client.
        try {
          res.writeHead(302, { location: authorize(`${issuer}${req.url ?? ''}`) }).end()
        } catch (error) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error))
        }
        return
      }
      sendJson(res, 404, { error: 'not_found' })
    }
    route().catch(() => {
      if (!res.headersSent) sendJson(res, 400, { error: 'invalid_request', error_description: 'bad request' })
      else res.destroy()
    })
  })
  const tokenState = (): TokenEndpointState => {
    return {
      issuer,
      clientId,
      clientSecret,
      keys,
      codes,
      tokenRequests,
      timers,
      currentCase: () => currentCase,
    }
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  issuer = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`

  return {
    issuer,
    clientId,
    clientSecret,
    setCase: (c) => {
      currentCase = c
    },
    authorize,
    tokenRequests,
    refusedAuthorizations,
    close: async () => {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function findRequestDefect(
  params: URLSearchParams,
  single: (name: string) => string | undefined,
): string | undefined {
  for (const name of new Set(params.keys())) {
    if (params.getAll(name).length > 1) return `repeated parameter ${name}` // RFC 6749 §3.1
  }
  if (single('response_type') !== 'code') return 'response_type must be code'
  // OIDC Core §3.1.2.1: without the openid scope this is plain OAuth and no ID token is due.
  if (!(single('scope') ?? '').split(' ').includes('openid')) return 'scope must include openid'
  if (single('state') === undefined) return 'missing state'
  if (single('nonce') === undefined) return 'missing nonce'
  const challenge = single('code_challenge')
  if (challenge === undefined) return 'missing code_challenge (PKCE)'
  // RFC 9700 §2.1.1: plain PKCE leaks the verifier with the request; only S256 is accepted.
  if (single('code_challenge_method') !== 'S256') return 'code_challenge_method must be S256'
  if (!s256ChallengePattern.test(challenge)) return 'code_challenge is not a base64url SHA-256 digest'
  return undefined
}

function discoveryDocument(issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    authorization_response_iss_parameter_supported: true,
    scopes_supported: ['openid', 'email', 'profile'],
  }
}
