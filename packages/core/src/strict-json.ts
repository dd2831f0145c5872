import { MalformedTokenError } from './token-errors.ts'

/**
 * A strict RFC 8259 parser for the JSON inside tokens and keys. `JSON.parse` cannot be used there: it keeps
 * the last of duplicate member names (so a signer and a verifier can disagree on `exp` — RFC 7515 §5.2 and
 * RFC 8725 §3.9), builds objects whose `__proto__` member is special, accepts unpaired surrogates and has no
 * depth bound. Numbers are read exactly as `JSON.parse` reads them (`1e400` is `Infinity`); the claim rules
 * decide what a number may be.
 */
export interface StrictJsonOptions {
  /** Maximum nesting of objects and arrays, 1–1000; a bare `{}` is depth 1. Default 16. */
  readonly maxDepth?: number
}

const defaultMaxDepth = 16
const maxDepthCap = 1000

// The parser's state lives in module variables rather than in an object threaded through every call. That
// is safe because a parse is synchronous and calls out to nothing, so it can never re-enter; each public
// entry point sets all four before reading, and `fail` drops the text so no input outlives its parse.
let text = ''
let position = 0
let depth = 0
let maxDepth = defaultMaxDepth

/**
 * Parses JSON text strictly: RFC 8259 grammar only, no duplicate member names, objects with a null
 * prototype (`__proto__` is an ordinary key), nesting bounded by `maxDepth`, and — following I-JSON
 * (RFC 7493 §2.1) — no unpaired surrogate, whether escaped (`"\uD800"`) or raw. Throws
 * `MalformedTokenError` (`malformed`) on any violation; the message names an offset, never the content.
 *
 * @example
 * parseStrictJson('{"exp":1700000900}') // [Object: null prototype] { exp: 1700000900 }
 * parseStrictJson('{"exp":1,"exp":2}')  // throws MalformedTokenError
 */
export function parseStrictJson(json: string, options?: StrictJsonOptions): unknown {
  const depthLimit = options?.maxDepth ?? defaultMaxDepth
  // The parser recurses once per level; the cap keeps it far from the engine's stack limit, so nothing
  // but a MalformedTokenError can come out of a parse.
  if (!(Number.isSafeInteger(depthLimit) && depthLimit >= 1 && depthLimit <= maxDepthCap)) {
    throw new RangeError(`maxDepth must be an integer from 1 to ${maxDepthCap}`)
  }
  text = json
  position = 0
  depth = 0
  maxDepth = depthLimit
  skipWhitespace()
  const value = parseValue()
  skipWhitespace()
  if (position !== text.length) fail('unexpected data after the JSON value')
  text = ''
  return value
}

// ignoreBOM keeps a leading U+FEFF in the text, where the grammar then rejects it (RFC 8259 §8.1).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Parses JSON from bytes that must be UTF-8 (RFC 8259 §8.1): invalid sequences, overlong forms and encoded
 * surrogates are `malformed` rather than silently replaced with U+FFFD, then the text is parsed strictly.
 *
 * @example
 * parseStrictJsonBytes(Buffer.from('{"alg":"EdDSA"}')) // [Object: null prototype] { alg: 'EdDSA' }
 */
export function parseStrictJsonBytes(bytes: Uint8Array, options?: StrictJsonOptions): unknown {
  let decoded: string
  try {
    decoded = utf8.decode(bytes)
  } catch (error) {
    throw new MalformedTokenError('Invalid JSON: the bytes are not UTF-8', { cause: error })
  }
  return parseStrictJson(decoded, options)
}

/**
 * Tells whether a parsed JSON value is an object (not an array, not null).
 *
 * @example
 * isJsonObject(parseStrictJson('[]')) // false
 */
export function isJsonObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function fail(problem: string, at: number = position): never {
  text = ''
  throw new MalformedTokenError(`Invalid JSON at offset ${at}: ${problem}`)
}

function skipWhitespace(): void {
  for (;;) {
    const code = text.charCodeAt(position)
    // RFC 8259 §2: only space, tab, line feed and carriage return.
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return
    position++
  }
}

function parseValue(): unknown {
  const code = text.charCodeAt(position)
  if (code === 0x22) return parseString()
  if (code === 0x7b) return parseObject()
  if (code === 0x5b) return parseArray()
  if (code === 0x2d || (code >= 0x30 && code <= 0x39)) return parseNumber()
  if (code === 0x74) return parseLiteral('true', true)
  if (code === 0x66) return parseLiteral('false', false)
  if (code === 0x6e) return parseLiteral('null', null)
  return fail('expected a value')
}

function parseLiteral<T>(word: string, value: T): T {
  if (!text.startsWith(word, position)) fail('expected a value')
  position += word.length
  return value
}

function enter(): void {
  depth++
  if (depth > maxDepth) fail('nesting too deep')
  position++
}

function parseObject(): Record<string, unknown> {
  enter()
  // Built as a plain object and given a null prototype at the end: V8 keeps that object fast, whereas
  // Object.create(null) starts in dictionary mode and costs about twice as much per member on this hot path.
  const object: Record<string, unknown> = {}
  skipWhitespace()
  if (text.charCodeAt(position) === 0x7d) {
    position++
    depth--
    return Object.setPrototypeOf(object, null)
  }
  for (;;) {
    if (text.charCodeAt(position) !== 0x22) fail('expected a member name')
    const name = parseString()
    if (Object.hasOwn(object, name)) fail('duplicate member name')
    skipWhitespace()
    if (text.charCodeAt(position) !== 0x3a) fail("expected ':'")
    position++
    skipWhitespace()
    const value = parseValue()
    // While the prototype is still Object.prototype, assigning `__proto__` would call its setter.
    if (name === '__proto__')
      Object.defineProperty(object, name, { value, writable: true, enumerable: true, configurable: true })
    else object[name] = value
    skipWhitespace()
    const code = text.charCodeAt(position)
    position++
    if (code === 0x7d) break
    if (code !== 0x2c) fail("expected ',' or '}'", position - 1)
    skipWhitespace()
  }
  depth--
  return Object.setPrototypeOf(object, null)
}

function parseArray(): unknown[] {
  enter()
  const array: unknown[] = []
  skipWhitespace()
  if (text.charCodeAt(position) === 0x5d) {
    position++
    depth--
    return array
  }
  for (;;) {
    array.push(parseValue())
    skipWhitespace()
    const code = text.charCodeAt(position)
    position++
    if (code === 0x5d) break
    if (code !== 0x2c) fail("expected ',' or ']'", position - 1)
    skipWhitespace()
  }
  depth--
  return array
}

function parseString(): string {
  const start = position + 1
  let index = start
  // Fast path: no escapes, no control characters, no surrogates — a plain slice of the input.
  for (;;) {
    const code = text.charCodeAt(index)
    if (code === 0x22) {
      position = index + 1
      return text.slice(start, index)
    }
    if (code === 0x5c || code < 0x20 || (code >= 0xd800 && code <= 0xdfff) || Number.isNaN(code)) break
    index++
  }
  return parseEscapedString(start, index)
}

function parseEscapedString(start: number, from: number): string {
  let result = text.slice(start, from)
  let index = from
  for (;;) {
    const code = text.charCodeAt(index)
    if (Number.isNaN(code)) fail('unterminated string', index)
    if (code === 0x22) break
    if (code < 0x20) fail('control character in string', index)
    if (code !== 0x5c) {
      result += text[index]
      index++
      continue
    }
    const escaped = text.charCodeAt(index + 1)
    if (escaped === 0x75) {
      const hex = text.slice(index + 2, index + 6)
      if (!/^[0-9A-Fa-f]{4}$/.test(hex)) fail('invalid \\u escape', index)
      result += String.fromCharCode(Number.parseInt(hex, 16))
      index += 6
      continue
    }
    const decoded = simpleEscapes[escaped]
    if (decoded === undefined) fail('invalid escape', index)
    result += decoded
    index += 2
  }
  if (!isWellFormedUtf16(result)) fail('unpaired surrogate in string', start)
  position = index + 1
  return result
}

const simpleEscapes: { readonly [code: number]: string | undefined } = {
  34: '"',
  92: '\\',
  47: '/',
  98: '\b',
  102: '\f',
  110: '\n',
  114: '\r',
  116: '\t',
}

function isWellFormedUtf16(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index)
    if (code < 0xd800 || code > 0xdfff) continue
    if (code > 0xdbff) return false
    const next = value.charCodeAt(index + 1)
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false
    index++
  }
  return true
}

function parseNumber(): number {
  const start = position
  let index = start
  if (text.charCodeAt(index) === 0x2d) index++
  const first = text.charCodeAt(index)
  if (first === 0x30) index++
  else if (first >= 0x31 && first <= 0x39) index = skipDigits(index + 1)
  else fail('invalid number', index)
  let isInteger = true
  if (text.charCodeAt(index) === 0x2e) {
    isInteger = false
    index = requireDigits(index + 1)
  }
  const exponent = text.charCodeAt(index)
  if (exponent === 0x65 || exponent === 0x45) {
    isInteger = false
    index++
    const sign = text.charCodeAt(index)
    if (sign === 0x2b || sign === 0x2d) index++
    index = requireDigits(index)
  }
  position = index
  // Up to 15 digits an integer is exact in a double, so it can skip string-to-number conversion.
  if (isInteger && index - start <= 15) {
    const isNegative = text.charCodeAt(start) === 0x2d
    let value = 0
    for (let digit = isNegative ? start + 1 : start; digit < index; digit++) {
      value = value * 10 + (text.charCodeAt(digit) - 0x30)
    }
    return isNegative ? -value : value
  }
  return Number(text.slice(start, index))
}

function skipDigits(from: number): number {
  let index = from
  for (;;) {
    const code = text.charCodeAt(index)
    // Written so that NaN (the end of the text) also stops the scan.
    if (!(code >= 0x30 && code <= 0x39)) return index
    index++
  }
}

function requireDigits(from: number): number {
  const index = skipDigits(from)
  if (index === from) fail('invalid number', from)
  return index
}
