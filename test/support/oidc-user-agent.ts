/**
 * A browserless user agent for the test OpenID Provider (`oidc-provider-fixture.ts`): plain `fetch` with
 * `redirect: 'manual'`, its own cookie jar, and knowledge of exactly two forms on the provider's login page
 * (`form#login-form` with `input[name=login]`, `form#cancel-form`). It never leaves the provider's origin except
 * to report the redirect back to the relying party, which it does not follow.
 */

/** Hops before giving up: a normal sign-in takes about six (auth → login → auth → consent → auth → RP). */
const MAX_HOPS = 20

interface StoredCookie {
  readonly name: string
  readonly value: string
  readonly path: string
}

interface NextRequest {
  readonly url: URL
  readonly method: 'GET' | 'POST'
  readonly body?: URLSearchParams
}

/**
 * Walks from `authorizationUrl` through the provider's redirects and login page, submits `login` (or cancels
 * when `deny`), and returns the first redirect whose URL starts with one of `redirectUris`. Throws on any
 * other outcome (error page, unknown login, redirect elsewhere), quoting the page so the test says why.
 *
 * @example
 * const callback = await playUserAgent(authorizationUrl, {
 *   providerOrigin: 'http://127.0.0.1:4001', redirectUris: ['http://127.0.0.1:4000/cb'], login: sub, deny: false,
 * })
 */
export async function playUserAgent(
  authorizationUrl: string,
  options: { providerOrigin: string; redirectUris: readonly string[]; login: string; deny: boolean },
): Promise<string> {
  const providerOrigin = new URL(options.providerOrigin).origin
  const jar = new Map<string, StoredCookie>()
  let request: NextRequest = { url: new URL(authorizationUrl), method: 'GET' }
  let hasSubmittedForm = false
  if (request.url.origin !== providerOrigin) {
    throw new Error(`user agent: ${request.url.origin} is not the provider (${providerOrigin})`)
  }
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const cookie = cookieHeader(jar, request.url)
    const response = await fetch(request.url, {
      method: request.method,
      redirect: 'manual',
      headers: { accept: 'text/html', ...(cookie === '' ? {} : { cookie }) },
      ...(request.body === undefined ? {} : { body: request.body }),
    })
    storeCookies(jar, response.headers.getSetCookie())
    const location = response.headers.get('location')
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel()
      const next = new URL(location, request.url)
      if (options.redirectUris.some((uri) => next.href.startsWith(uri))) return next.href
      if (next.origin !== providerOrigin) {
        throw new Error(`user agent: redirected off the provider to ${next.origin}${next.pathname}`)
      }
      // 307/308 repeat the method and body (RFC 9110 §15.4.8); 301–303 become a GET, as browsers do.
      request =
        response.status === 307 || response.status === 308
          ? { ...request, url: next }
          : { url: next, method: 'GET' }
      continue
    }
    const page = await response.text()
    const action = formAction(page, options.deny ? 'cancel-form' : 'login-form')
    if (response.status !== 200 || action === undefined || hasSubmittedForm) {
      const what = hasSubmittedForm && action !== undefined ? 'the login was refused' : 'unexpected page'
      throw new Error(`user agent: ${what} (${response.status} at ${request.url.pathname}): ${textOf(page)}`)
    }
    hasSubmittedForm = true
    const body = options.deny ? new URLSearchParams() : new URLSearchParams({ login: options.login })
    request = { url: new URL(action, request.url), method: 'POST', body }
  }
  throw new Error(`user agent: more than ${MAX_HOPS} hops without reaching a redirect_uri`)
}

/** The `action` of `<form id="…">` on a page of ours (`oidc-provider-fixture.ts` writes it in this order). */
function formAction(page: string, formId: string): string | undefined {
  const match = new RegExp(`<form id="${formId}"[^>]*\\saction="([^"]+)"`).exec(page)
  return match?.[1]?.replaceAll('&amp;', '&')
}

/** RFC 6265 §5.3, reduced to what one origin needs: name, value, Path, and deletion by a past expiry. */
function storeCookies(jar: Map<string, StoredCookie>, setCookieLines: readonly string[]): void {
  for (const line of setCookieLines) {
    const [pair = '', ...attributes] = line.split(';')
    const equals = pair.indexOf('=')
    if (equals <= 0) continue
    const name = pair.slice(0, equals).trim()
    const value = pair.slice(equals + 1).trim()
    let path = '/'
    let isExpired = false
    for (const attribute of attributes) {
      const [key = '', attributeValue = ''] = attribute.split('=', 2).map((part) => part.trim())
      const lowerKey = key.toLowerCase()
      if (lowerKey === 'path' && attributeValue.startsWith('/')) path = attributeValue
      if (lowerKey === 'max-age' && Number(attributeValue) <= 0) isExpired = true
      if (lowerKey === 'expires' && Date.parse(attributeValue) <= Date.now()) isExpired = true
    }
    const key = `${path} ${name}`
    if (isExpired) jar.delete(key)
    else jar.set(key, { name, value, path })
  }
}

/** RFC 6265 §5.1.4 path-match, so `/interaction/<uid>` cookies go only where the provider scoped them. */
function cookieHeader(jar: ReadonlyMap<string, StoredCookie>, url: URL): string {
  return [...jar.values()]
    .filter(
      ({ path }) => url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`),
    )
    .map(({ name, value }) => `${name}=${value}`)
    .join('; ')
}

function textOf(page: string): string {
  return page
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300)
}
