/**
 * Printable text: what an operator-chosen name, a token subject or an audience may contain. C0 and C1
 * controls are never allowed (they rewrite terminals and split log lines), nor are the Unicode line and
 * paragraph separators; ordinary whitespace is allowed only where the caller says so.
 */

const LINE_SEPARATOR = 0x2028
const PARAGRAPH_SEPARATOR = 0x2029

function isControl(code: number): boolean {
  return (
    code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === LINE_SEPARATOR || code === PARAGRAPH_SEPARATOR
  )
}

/**
 * Whether every character is printable; with `allowWhitespace: false`, spaces and other whitespace are
 * refused too.
 *
 * @example
 * isPrintableText('orders api', { allowWhitespace: true }) // true
 * isPrintableText('user\n42', { allowWhitespace: true }) // false
 * isPrintableText('orders api', { allowWhitespace: false }) // false
 */
export function isPrintableText(value: string, options: { readonly allowWhitespace: boolean }): boolean {
  for (const char of value) {
    if (isControl(char.codePointAt(0) ?? 0)) return false
    if (!options.allowWhitespace && /\s/u.test(char)) return false
  }
  return true
}
