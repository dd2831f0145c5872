/**
 * What a schema node accepts, in words: the "allowed range/type" half of a config error and the "range"
 * column of docs/configuration.md. Reads the same schema that validates, so the two cannot disagree.
 */
import { KindGuard, type TSchema } from '@sinclair/typebox'
import { findSettingFormat } from './setting-formats.ts'

function describeLength(schema: TSchema): string {
  const minimum: unknown = schema.minLength
  const maximum: unknown = schema.maxLength
  if (typeof minimum === 'number' && typeof maximum === 'number')
    return `a string of ${minimum}–${maximum} characters`
  if (minimum === 1) return 'a non-empty string'
  if (typeof minimum === 'number' && minimum > 0) return `a string of at least ${minimum} characters`
  if (typeof maximum === 'number') return `a string of at most ${maximum} characters`
  return 'a string'
}

function describeList(schema: TSchema, items: TSchema): string {
  const maximum: unknown = schema.maxItems
  const count = typeof maximum === 'number' ? `up to ${maximum} ` : ''
  const distinct = schema.uniqueItems === true ? 'distinct ' : ''
  return `a list of ${count}${distinct}items, each ${describeExpected(items)}`
}

/**
 * Describes what a schema node accepts, as a phrase that completes "expected …".
 *
 * @example
 * describeExpected(Type.Integer({ minimum: 60, maximum: 86400 })) // 'an integer from 60 to 86400'
 */
export function describeExpected(schema: TSchema): string {
  const expected: unknown = schema.expected
  if (typeof expected === 'string') return expected
  const format = findSettingFormat(schema.format)
  if (format !== undefined) return format.expected
  if (KindGuard.IsInteger(schema)) {
    const { minimum, maximum } = schema
    if (minimum !== undefined && maximum !== undefined) return `an integer from ${minimum} to ${maximum}`
    if (minimum !== undefined) return `an integer of at least ${minimum}`
    return 'an integer'
  }
  if (KindGuard.IsBoolean(schema)) return 'true or false'
  if (KindGuard.IsLiteral(schema)) return JSON.stringify(schema.const)
  if (KindGuard.IsUnion(schema) && schema.anyOf.every((variant) => KindGuard.IsLiteral(variant))) {
    return `one of ${schema.anyOf.map((variant) => String(variant.const)).join(', ')}`
  }
  if (KindGuard.IsString(schema)) return describeLength(schema)
  if (KindGuard.IsArray(schema)) return describeList(schema, schema.items)
  if (KindGuard.IsObject(schema))
    return `an object with the keys ${Object.keys(schema.properties).join(', ')}`
  return 'a valid value'
}

/**
 * Names the type of a schema node for the docs table: integer, boolean, string, list of strings, ….
 *
 * @example
 * describeType(Type.Array(Type.String())) // 'list of strings'
 */
export function describeType(schema: TSchema): string {
  if (KindGuard.IsInteger(schema)) return 'integer'
  if (KindGuard.IsBoolean(schema)) return 'boolean'
  if (KindGuard.IsUnion(schema) || KindGuard.IsLiteral(schema) || KindGuard.IsString(schema)) return 'string'
  if (KindGuard.IsArray(schema))
    return KindGuard.IsObject(schema.items) ? 'list of objects' : 'list of strings'
  if (KindGuard.IsObject(schema)) return 'object'
  return 'value'
}
