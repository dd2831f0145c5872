import { createHash } from 'node:crypto'

/**
 * What ties a DPoP proof to one HTTP request and one access token (RFC 9449 §4.2–4.3): the `htu` URL,
 * compared after normalisation, and the `ath` hash of the access token. Shared by `verifyDpopProof` and
 * `createDpopProof` so that both sides apply exactly the same rule.
 */

// RFC 3986 §2.3: the unreserved characters, whose percent-encoded form means the same as the character.
const unreservedByte = /^[A-Za-z0-9\-._~]$/
const percentEncoded = /%[0-9A-Fa-f]{2}/g
// The WHATWG parser silently drops tabs and newlines and trims spaces and controls; a URL carrying any of
// them is refused instead, so that no two visibly different `htu` texts compare equal by accident.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const controlOrSpace = /[\u0000-\u0020\u007f]/

/**
 * Normalises an absolute `http`/`https` URL for the `htu` comparison of RFC 9449 §4.3 item 9, or returns
 * `undefined` when the text is not one. The query and the fragment are dropped, as the RFC requires; the
 * rest gets RFC 3986 §6.2.2 syntax-based normalisation (scheme and host lower-case, `.`/`..` segments
 * removed, percent-encodings upper-case and decoded where they encode an unreserved character) and §6.2.3
 * scheme-based normalisation (default port removed, empty path as `/`). Userinfo is kept, so a URL with
 * it never equals one without. Spaces and control characters anywhere make the text no URL. Apply it to
 * both the claim and the request URL.
 *
 * @example
 * normalizeDpopUrl('HTTPS://Example.COM:443/a/%7euser?x=1#f') // 'https://example.com/a/~user'
 * normalizeDpopUrl('ftp://example.com/') // undefined
 */
export function normalizeDpopUrl(text: string): string | undefined {
  if (typeof text !== 'string' || controlOrSpace.test(text)) return undefined
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
  // Userinfo is case-sensitive (RFC 3986 §3.2.1) and kept, so it can only ever make the URLs differ.
  const userinfo = url.username === '' && url.password === '' ? '' : `${url.username}:${url.password}@`
  // `host` is already lower-case, punycoded and without the scheme's default port (WHATWG URL §4.4).
  return `${url.protocol}//${userinfo}${url.host}${normalizePercentEncoding(url.pathname)}`
}

function normalizePercentEncoding(path: string): string {
  return path.replace(percentEncoded, (encoded) => {
    const character = String.fromCharCode(Number.parseInt(encoded.slice(1), 16))
    return unreservedByte.test(character) ? character : encoded.toUpperCase()
  })
}

/**
 * The `ath` claim for an access token: base64url of the SHA-256 of its ASCII text (RFC 9449 §4.2), which
 * binds a proof to the one token it is sent with (§7.1), so a proof cannot be paired with another token.
 *
 * @example
 * computeDpopAth('eyJ...') // 43 base64url characters
 */
export function computeDpopAth(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'utf8').digest('base64url')
}
