/**
 * Gets a refresh token from the oidc-provider peer the way a real app does: an authorization-code request
 * with PKCE (RFC 7636) and `scope=openid offline_access` plus `prompt=consent` (OIDC Core §11: without
 * consent, oidc-provider drops `offline_access` and issues no refresh token), the provider's interaction
 * (finished by ./oidc-provider-server.ts for the account in `login_hint`), the resumed authorization
 * redirecting to the client with a code, and the code exchanged at the token endpoint.
 */
import { createHash, randomBytes } from 'node:crypto'
import { stringMember } from './loopback-http.ts'
import { OIDC_CLIENT_ID, OIDC_REDIRECT_URI } from './oidc-provider-server.ts'

// The browser's part: remember cookies (name → value; the paths oidc-provider sets all match the next hop)
// and follow redirects by hand until one leaves for the client's redirect URI.
async function followToRedirectUri(start: URL): Promise<URL> {
  const jar = new Map<string, string>()
  let next = start
  for (let hop = 0; hop < 8; hop++) {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
    const response = await fetch(next, { redirect: 'manual', headers: cookie === '' ? {} : { cookie } })
    await response.arrayBuffer()
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? ''
      const equals = pair.indexOf('=')
      if (equals > 0) jar.set(pair.slice(0, equals), pair.slice(equals + 1))
    }
    const location = response.headers.get('location')
    if (location === null)
      throw new Error(`oidc flow: ${response.status} without a redirect at ${next.pathname}`)
    next = new URL(location, next)
    if (next.href.startsWith(OIDC_REDIRECT_URI)) return next
  }
  throw new Error('oidc flow: too many redirects')
}

/**
 * Runs one authorization-code flow for `accountId` against the provider at `issuer`; resolves with the
 * refresh token of the code exchange.
 *
 * @example
 * const refreshToken = await obtainOidcRefreshToken('http://127.0.0.1:4000', 'acct_0')
 */
export async function obtainOidcRefreshToken(issuer: string, accountId: string): Promise<string> {
  const verifier = randomBytes(32).toString('base64url')
  const state = randomBytes(16).toString('base64url')
  const authorize = new URL('/auth', issuer)
  authorize.search = new URLSearchParams({
    client_id: OIDC_CLIENT_ID,
    response_type: 'code',
    redirect_uri: OIDC_REDIRECT_URI,
    scope: 'openid offline_access',
    prompt: 'consent',
    login_hint: accountId,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString()
  const callback = await followToRedirectUri(authorize)
  const code = callback.searchParams.get('code')
  if (code === null || callback.searchParams.get('state') !== state) {
    throw new Error(`oidc flow: no code for ${accountId} (${callback.searchParams.get('error') ?? 'state'})`)
  }
  const response = await fetch(new URL('/token', issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: OIDC_REDIRECT_URI,
      code_verifier: verifier,
      client_id: OIDC_CLIENT_ID,
    }),
  })
  const text = await response.text()
  const refreshToken = stringMember(text, 'refresh_token')
  if (response.status !== 200 || refreshToken === undefined) {
    throw new Error(
      `oidc flow: token endpoint answered ${response.status} ${stringMember(text, 'error') ?? ''}`,
    )
  }
  return refreshToken
}
