// Shared by the hosted pages. The access token lives in this module's memory only — never in
// localStorage, sessionStorage or a readable cookie — and is fetched from the HttpOnly refresh cookie.
let accessToken

/** Calls the auth server's JSON API from the page (same origin: the browser adds Origin and cookies). */
export async function api(path, { method = 'GET', body, auth = false } = {}) {
  const headers = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (auth) headers.authorization = `Bearer ${accessToken}`
  // A write authenticated by the refresh cookie needs this header (SPEC §3): a cross-site form cannot send it.
  if (method !== 'GET') headers['x-tessera-csrf'] = '1'
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  let data = {}
  try {
    data = text === '' ? {} : JSON.parse(text)
  } catch {
    data = {}
  }
  return { status: response.status, data, retryAfter: response.headers.get('retry-after') }
}

/** Gets a fresh access token from the refresh cookie; false when the user must sign in again. */
export async function refreshAccess() {
  const { status, data } = await api('/v1/refresh', { method: 'POST', body: {} })
  if (status !== 200) return false
  accessToken = data.access_token
  return true
}

/** Shows a message in the page's live region (announced by screen readers). */
export function showStatus(text, { error = false } = {}) {
  const region = document.getElementById('status')
  if (!region) return
  region.textContent = text
  region.classList.toggle('error', error)
}

/** A readable sentence for an API refusal. */
export function describeFailure({ status, data, retryAfter }) {
  if (status === 429 || data.reason === 'rate_limited') {
    return `Too many attempts. Try again in ${retryAfter ?? 'a few'} seconds.`
  }
  if (data.reason === 'invalid_credentials') return 'The email or password is wrong.'
  if (status === 409) return 'An account with this email already exists.'
  if (typeof data.message === 'string' && data.message !== '')
    return `${data.message[0].toUpperCase()}${data.message.slice(1)}.`
  return 'Something went wrong. Please try again.'
}

/** Where to go after signing in: a path on this server only (never another site). */
export function returnPath(fallback) {
  const value = new URLSearchParams(location.search).get('return_to')
  if (value === null || !value.startsWith('/') || value.startsWith('//') || value.includes('\\'))
    return fallback
  return value
}
