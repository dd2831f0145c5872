/** One request as the server saw it, for assertions ("exactly one refresh on the wire"). */
export interface SeenRequest {
  readonly method: string
  readonly path: string
  readonly headers: Headers
  readonly body: string
}

/** A fetch that behaves like a browser page at `origin` talking to another origin, plus a request log. */
export interface BrowserLikeFetch {
  readonly fetch: typeof fetch
  readonly requests: SeenRequest[]
  /** Names of the cookies the "browser" holds, as `name path`. */
  cookieNames(): string[]
  /** How many requests went to this path. */
  count(path: string): number
}

interface StoredCookie {
  readonly name: string
  readonly value: string
  readonly path: string
}

const SIMPLE_HEADERS = new Set(['accept', 'accept-language', 'content-language'])

function parseSetCookie(line: string): { cookie: StoredCookie; isDeletion: boolean } | undefined {
  const [pair, ...attributes] = line.split(';').map((part) => part.trim())
  const eq = pair?.indexOf('=') ?? -1
  if (pair === undefined || eq <= 0) return undefined
  let path = '/'
  let isDeletion = false
  for (const attribute of attributes) {
    const [key = '', value = ''] = attribute.split('=')
    if (key.toLowerCase() === 'path') path = value
    if (key.toLowerCase() === 'max-age' && Number(value) <= 0) isDeletion = true
  }
  return { cookie: { name: pair.slice(0, eq), value: pair.slice(eq + 1), path }, isDeletion }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true
  return requestPath.startsWith(cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`)
}

/**
 * What a browser adds and enforces for a cross-origin page, enough to exercise cookie mode against the
 * real server in Node (which has no cookie jar): an `Origin` header, a cookie jar used only with
 * `credentials: 'include'` (path-matched), a CORS preflight for non-simple requests and the CORS checks
 * on credentialed answers. It ignores `Secure`/`SameSite` (the test server speaks http on loopback).
 *
 * @example
 * const browser = createBrowserLikeFetch({ origin: TEST_ORIGIN })
 * const client = createClient({ issuer, mode: 'cookie', fetch: browser.fetch })
 */
export function createBrowserLikeFetch(options: { readonly origin: string }): BrowserLikeFetch {
  const jar = new Map<string, StoredCookie>()
  const requests: SeenRequest[] = []

  async function preflight(request: Request): Promise<void> {
    const custom = [...request.headers.keys()].filter((name) => !SIMPLE_HEADERS.has(name))
    if (custom.length === 0 && ['GET', 'HEAD', 'POST'].includes(request.method)) return
    const answer = await fetch(request.url, {
      method: 'OPTIONS',
      headers: {
        origin: options.origin,
        'access-control-request-method': request.method,
        'access-control-request-headers': custom.join(','),
      },
    })
    const allowed = (answer.headers.get('access-control-allow-headers') ?? '').split(/\s*,\s*/)
    if (
      answer.headers.get('access-control-allow-origin') !== options.origin ||
      custom.some((h) => !allowed.includes(h))
    )
      throw new TypeError('Failed to fetch (CORS preflight refused)')
  }

  const browserFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    const withCookies = request.credentials === 'include'
    const headers = new Headers(request.headers)
    headers.set('origin', options.origin)
    if (withCookies) {
      const cookies = [...jar.values()].filter((cookie) => pathMatches(url.pathname, cookie.path))
      if (cookies.length > 0) headers.set('cookie', cookies.map((c) => `${c.name}=${c.value}`).join('; '))
    }
    await preflight(request)
    const body = request.body === null ? '' : await request.text()
    requests.push({ method: request.method, path: url.pathname, headers, body })
    const response = await fetch(request.url, {
      method: request.method,
      headers,
      ...(body === '' ? {} : { body }),
    })
    if (response.headers.get('access-control-allow-origin') !== options.origin)
      throw new TypeError('Failed to fetch (CORS)')
    if (withCookies && response.headers.get('access-control-allow-credentials') !== 'true')
      throw new TypeError('Failed to fetch (CORS credentials)')
    if (withCookies) {
      for (const line of response.headers.getSetCookie()) {
        const parsed = parseSetCookie(line)
        if (!parsed) continue
        const key = `${parsed.cookie.name} ${parsed.cookie.path}`
        if (parsed.isDeletion) jar.delete(key)
        else jar.set(key, parsed.cookie)
      }
    }
    return response
  }

  return {
    fetch: browserFetch as typeof fetch,
    requests,
    cookieNames: () => [...jar.keys()].sort(),
    count: (path) => requests.filter((seen) => seen.path === path).length,
  }
}
