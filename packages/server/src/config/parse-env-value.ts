/**
 * Turns the text of an environment variable into the typed value its setting expects, strictly: the
 * environment is typed by hand and often templated, and a lenient `parseInt('12abc')` or `Number('0x10')`
 * would start the server with a value nobody wrote. Range checks are left to the schema.
 */
import { KindGuard, type TSchema } from '@sinclair/typebox'

export type EnvParseOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problem: string }

// Plain decimal only: no sign but minus, no leading zeros, no exponent, no hex, no separators.
const decimalIntegerPattern = /^-?(?:0|[1-9][0-9]*)$/

function parseInteger(text: string): EnvParseOutcome {
  const value = Number(text)
  if (!decimalIntegerPattern.test(text) || !Number.isSafeInteger(value)) {
    return { ok: false, problem: 'it is not a plain decimal integer' }
  }
  return { ok: true, value }
}

function parseBoolean(text: string): EnvParseOutcome {
  if (text === 'true') return { ok: true, value: true }
  if (text === 'false') return { ok: true, value: false }
  return { ok: false, problem: 'it is neither true nor false' }
}

function parseJsonArray(text: string): EnvParseOutcome {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // The parser's message quotes the input, which may hold a client secret; say only what failed.
    return { ok: false, problem: 'it is not valid JSON' }
  }
  return Array.isArray(value) ? { ok: true, value } : { ok: false, problem: 'it is not a JSON array' }
}

/**
 * Parses an environment variable's text for the setting whose schema is given. Lists of strings are
 * comma-separated (blanks around items and empty items are dropped); lists of objects are JSON.
 *
 * @example
 * parseEnvValue('900', ttlSchema) // { ok: true, value: 900 }
 * parseEnvValue('1e3', ttlSchema) // { ok: false, problem: 'it is not a plain decimal integer' }
 */
export function parseEnvValue(text: string, schema: TSchema): EnvParseOutcome {
  if (KindGuard.IsInteger(schema)) return parseInteger(text)
  if (KindGuard.IsBoolean(schema)) return parseBoolean(text)
  if (KindGuard.IsArray(schema)) {
    if (KindGuard.IsObject(schema.items)) return parseJsonArray(text)
    const items = text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '')
    return { ok: true, value: items }
  }
  return { ok: true, value: text }
}
