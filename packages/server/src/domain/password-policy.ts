/**
 * The password rules, as the RFC 8265 OpaqueString profile prepares a password (PRECIS), so the same
 * password typed on a Mac (NFD input methods) and on Windows (NFC) hashes to the same bytes:
 * - Width mapping: none. Case mapping: none — a password is never case-folded or trimmed; every
 *   character the user typed counts (RFC 8265 §4.2.1).
 * - Additional mapping: any non-ASCII space (Unicode Zs: U+00A0, U+3000, …) becomes U+0020.
 * - Normalisation: NFC.
 * - Disallowed: control characters (Cc — C0, DEL, C1; RFC 8264 §9.12 keeps them out of the
 *   FreeformClass). Tab and newline are controls too: they are what a paste from a password manager
 *   adds by accident, and a password that only works when pasted with its newline is a lock-out.
 *   Lone surrogates (Cs) are rejected as well: they have no UTF-8 encoding, so two different strings
 *   would reach argon2 as the same U+FFFD bytes.
 * - Deliberately allowed: format characters (Cf), because ZWJ is part of emoji sequences; unassigned
 *   code points, because which ones are unassigned depends on the Node version, and a password accepted
 *   at sign-up must stay acceptable after an upgrade or downgrade.
 * - Length is counted in Unicode code points after preparation (SPEC §3: 8–1024 characters).
 *
 * Messages describe the rule, never the password.
 */
export interface PasswordBounds {
  readonly minLength: number
  readonly maxLength: number
}

export type PasswordOutcome =
  | { readonly ok: true; readonly password: string }
  | { readonly ok: false; readonly message: string }

const NON_ASCII_SPACE = /(?! )\p{Zs}/gu
const DISALLOWED = /[\p{Cc}\p{Cs}]/u
/**
 * One prepared code point comes from at most a few input code points (NFC composes base + marks, or a
 * Hangul L V T sequence), each at most two UTF-16 units; 8 units per allowed code point is a generous
 * bound that lets us refuse a megabyte of input before normalising it.
 */
const MAX_UTF16_UNITS_PER_CODE_POINT = 8

function countCodePoints(text: string): number {
  let count = 0
  for (const _ of text) count += 1
  return count
}

/**
 * Prepares a password per RFC 8265 OpaqueString and checks it against the length bounds.
 *
 * @example
 * checkPassword('correct horse battery staple', { minLength: 8, maxLength: 1024 })
 * // { ok: true, password: 'correct horse battery staple' }
 */
export function checkPassword(password: unknown, bounds: PasswordBounds): PasswordOutcome {
  const lengthMessage = `password must be ${bounds.minLength} to ${bounds.maxLength} characters`
  if (typeof password !== 'string') return { ok: false, message: 'password must be a string' }
  if (password.length > bounds.maxLength * MAX_UTF16_UNITS_PER_CODE_POINT)
    return { ok: false, message: lengthMessage }
  if (DISALLOWED.test(password)) {
    return { ok: false, message: 'password must not contain control characters or unpaired surrogates' }
  }
  const prepared = password.replace(NON_ASCII_SPACE, ' ').normalize('NFC')
  const length = countCodePoints(prepared)
  if (length < bounds.minLength || length > bounds.maxLength) return { ok: false, message: lengthMessage }
  return { ok: true, password: prepared }
}
