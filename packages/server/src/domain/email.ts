import { domainToASCII } from 'node:url'

/**
 * Email addresses are the unique key of an account, so one person typing their address on two devices
 * (different case, a phone keyboard producing fullwidth letters, NFD from macOS) must land on one row,
 * and two different-looking spellings must never be two accounts that render alike.
 *
 * Pipeline: trim ASCII whitespace at the ends → NFKC → `toLowerCase()` → NFKC → shape checks.
 * - NFKC folds compatibility forms: fullwidth `ＵＳＥＲ` → `user`, the Kelvin sign U+212A → `k`, NFD
 *   `e` + U+0301 → `é`. The second NFKC re-composes anything lower-casing decomposed.
 * - `toLowerCase()` is the locale-independent Unicode mapping (never `toLocaleLowerCase`, which would make
 *   the key depend on the server's locale).
 * - Turkish dotless `ı` (U+0131) has no case mapping to `i`: it stays `ı`, a different address from `i`
 *   (as in Unicode case folding). Capital dotted `İ` (U+0130) lower-cases to `i` + U+0307 COMBINING DOT
 *   ABOVE, which renders like a plain `i`; that is a homograph of an ASCII address, so a combining mark
 *   on an ASCII base (or at the start of the local part) is rejected. Marks on non-ASCII bases (Devanagari
 *   vowel signs, Thai tone marks) stay allowed for RFC 6531 internationalised local parts.
 * - The domain is stored in its ASCII (punycode) form via WHATWG `domainToASCII` (UTS #46); a
 *   non-ASCII domain that is not valid IDNA is rejected. Every label must be LDH (RFC 5890 §2.3.1).
 * - Lengths are UTF-8 octets after normalisation, as SMTP counts them (RFC 5321 §4.5.3.1, kept by
 *   RFC 6531 §3.3): local part ≤ 64, whole address ≤ 254.
 * - The local part is a dot-atom (RFC 5322 §3.2.3) without quoted strings: ASCII `atext`, plus non-ASCII
 *   letters, digits and marks. Quotes, brackets and backslashes are the stuff of header injection.
 */
export type EmailOutcome =
  | { readonly ok: true; readonly email: string }
  | { readonly ok: false; readonly message: string }

const MAX_ADDRESS_OCTETS = 254
const MAX_LOCAL_OCTETS = 64
const MAX_LABEL_OCTETS = 63
/** Bounds NFKC's work on hostile input; a valid address (≤ 254 octets) stays far below this even fully decomposed. */
const MAX_RAW_UTF16_UNITS = 1024

const ASCII_EDGE_WHITESPACE = /^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g
// Cc: C0, DEL, C1. Cf: bidi overrides and zero-width characters that make two addresses render alike.
// Cs: a lone surrogate cannot be encoded as UTF-8, so it would not survive a round trip through the store.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Cs}]/u
const WHITESPACE = /[\p{White_Space}]/u
const LOCAL_CHARACTER = /^[a-z0-9!#$%&'*+\-/=?^_`{|}~.\p{L}\p{N}\p{M}]$/u
const MARK = /^\p{M}$/u
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/
const DIGITS = /^[0-9]+$/

function reject(message: string): EmailOutcome {
  return { ok: false, message }
}

function octets(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

function checkLocalPart(local: string): string | undefined {
  if (local.length === 0) return 'email must have a part before the @'
  if (octets(local) > MAX_LOCAL_OCTETS)
    return `email part before the @ must be at most ${MAX_LOCAL_OCTETS} bytes`
  if (local.startsWith('.') || local.endsWith('.'))
    return 'email part before the @ must not start or end with a dot'
  if (local.includes('..')) return 'email part before the @ must not contain two dots in a row'
  let previous: string | undefined
  for (const character of local) {
    if (!LOCAL_CHARACTER.test(character))
      return 'email part before the @ contains a character that is not allowed'
    const isMarkOnAsciiBase =
      MARK.test(character) && (previous === undefined || previous.charCodeAt(0) < 0x80)
    if (isMarkOnAsciiBase) return 'email part before the @ contains a combining mark on a plain letter'
    previous = character
  }
  return undefined
}

function toAsciiDomain(domain: string): { readonly domain: string } | { readonly message: string } {
  if (domain.length === 0) return { message: 'email must have a domain after the @' }
  const ascii = domainToASCII(domain)
  if (ascii.length === 0) return { message: 'email domain is not a valid domain name' }
  const labels = ascii.split('.')
  if (labels.length < 2) return { message: 'email domain must contain a dot' }
  for (const label of labels) {
    if (label.length === 0) return { message: 'email domain must not contain empty labels' }
    if (label.length > MAX_LABEL_OCTETS || !LDH_LABEL.test(label)) {
      return { message: 'email domain is not a valid domain name' }
    }
  }
  // RFC 3696 §2: a top-level domain is never all-numeric. This also rules out dotted IPv4: an address
  // literal is not an account key.
  if (DIGITS.test(labels.at(-1) ?? '')) return { message: 'email domain is not a valid domain name' }
  return { domain: ascii }
}

/**
 * Normalises an email address into the account key: NFKC, case-folded, punycode domain. Rejections carry
 * a message naming the rule broken, never the input.
 *
 * @example
 * normalizeEmail('  Ｊｏｅ@Bücher.DE ') // { ok: true, email: 'joe@xn--bcher-kva.de' }
 */
export function normalizeEmail(input: string): EmailOutcome {
  if (input.length > MAX_RAW_UTF16_UNITS) return reject(`email must be at most ${MAX_ADDRESS_OCTETS} bytes`)
  const trimmed = input.replace(ASCII_EDGE_WHITESPACE, '')
  if (trimmed.length === 0) return reject('email must not be empty')
  if (FORBIDDEN.test(trimmed)) return reject('email must not contain control or invisible characters')
  const folded = trimmed.normalize('NFKC').toLowerCase().normalize('NFKC')
  // Checked after NFKC too: compatibility forms such as U+2028 or U+3000 must not slip in as whitespace.
  if (FORBIDDEN.test(folded)) return reject('email must not contain control or invisible characters')
  if (WHITESPACE.test(folded)) return reject('email must not contain whitespace')
  const parts = folded.split('@')
  if (parts.length !== 2) return reject('email must contain exactly one @')
  const [local = '', domain = ''] = parts
  const localProblem = checkLocalPart(local)
  if (localProblem !== undefined) return reject(localProblem)
  const domainResult = toAsciiDomain(domain)
  if ('message' in domainResult) return reject(domainResult.message)
  const email = `${local}@${domainResult.domain}`
  if (octets(email) > MAX_ADDRESS_OCTETS) return reject(`email must be at most ${MAX_ADDRESS_OCTETS} bytes`)
  return { ok: true, email }
}
