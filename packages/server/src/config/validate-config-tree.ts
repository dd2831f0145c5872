/**
 * Checks the merged settings against the schema and turns every TypeBox error into a ConfigIssue that a
 * person can act on: the setting's path and env name, the value (masked), where it came from, the broken
 * rule and the allowed range. TypeBox's own messages ("Expected integer") are not used; the schema is read
 * again to say what *is* allowed.
 */
import { KindGuard, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors'
import type { ConfigIssue } from './config-error.ts'
import { describeExpected } from './describe-expected.ts'
import { renderSettingValue } from './render-setting-value.ts'
import { configSchema } from './schema.ts'
import { findSettingByPath, type SettingLeaf } from './setting-catalog.ts'
import { findSettingFormat } from './setting-formats.ts'
import { suggestName } from './suggest-name.ts'

/** Where each setting's value came from, looked up by its object-key path (`['accessToken', 'ttlSeconds']`). */
export type SourceLookup = (keys: readonly string[]) => string | undefined

interface ResolvedPointer {
  /** `oidc.providers[0].clientId` */
  readonly display: string
  /** Object keys down to the setting (array indexes and what lies below them excluded). */
  readonly keys: readonly string[]
  /** The schema node at the pointer; undefined where the pointer passes through an unknown key. */
  readonly schema: TSchema | undefined
  readonly leaf: SettingLeaf | undefined
  /** The last key or index of the pointer: the unknown key of an unknown-key error. */
  readonly lastSegment: string
}

const compiledSchema = TypeCompiler.Compile(configSchema)

function resolvePointer(pointer: string): ResolvedPointer {
  const segments = pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
  let schema: TSchema | undefined = configSchema
  let display = ''
  const keys: string[] = []
  let leaf: SettingLeaf | undefined
  for (const segment of segments) {
    if (schema !== undefined && KindGuard.IsArray(schema)) {
      display += `[${segment}]`
      schema = schema.items
    } else {
      display += display === '' ? segment : `.${segment}`
      if (leaf === undefined) keys.push(segment)
      const properties: Record<string, TSchema> | undefined =
        schema !== undefined && KindGuard.IsObject(schema) ? schema.properties : undefined
      schema =
        properties !== undefined && Object.hasOwn(properties, segment) ? properties[segment] : undefined
    }
    if (leaf === undefined && schema !== undefined && !KindGuard.IsObject(schema)) {
      leaf = findSettingByPath(keys.join('.'))
    }
  }
  return { display, keys, schema, leaf, lastSegment: segments.at(-1) ?? '' }
}

function toUnknownKeyIssue(error: ValueError, at: ResolvedPointer, source: string | undefined): ConfigIssue {
  const knownKeys = KindGuard.IsObject(error.schema) ? Object.keys(error.schema.properties) : []
  const suggestion = suggestName(at.lastSegment, knownKeys)
  return {
    setting: at.display,
    envName: at.leaf?.envName,
    source,
    problem: `there is no such setting${suggestion === undefined ? '' : `; did you mean ${suggestion}?`}`,
    expected: `one of the keys ${knownKeys.join(', ')}`,
  }
}

function toValueIssue(error: ValueError, at: ResolvedPointer, source: string | undefined): ConfigIssue {
  const schema = at.schema ?? error.schema
  const format = findSettingFormat(schema.format)
  const formatProblem =
    format !== undefined && typeof error.value === 'string' ? format.findProblem(error.value) : undefined
  const problem =
    error.type === ValueErrorType.ObjectRequiredProperty
      ? 'it is missing'
      : error.type === ValueErrorType.ArrayUniqueItems
        ? 'it contains duplicates'
        : formatProblem
  return {
    setting: at.display,
    envName: at.leaf?.envName,
    source,
    value: renderSettingValue(error.value, schema),
    problem,
    expected: describeExpected(schema),
  }
}

/**
 * Validates merged settings against the schema. Returns one issue per offending location (the first
 * error there), or an empty list when the settings are valid.
 *
 * @example
 * const issues = validateConfigTree(merged, (keys) => sources.get(keys.join('.')))
 * if (issues.length > 0) throw new ConfigError(issues)
 */
export function validateConfigTree(tree: unknown, sourceOf: SourceLookup): ConfigIssue[] {
  if (compiledSchema.Check(tree)) return []
  const issues: ConfigIssue[] = []
  const seen = new Set<string>()
  for (const error of compiledSchema.Errors(tree)) {
    if (seen.has(error.path)) continue
    seen.add(error.path)
    const at = resolvePointer(error.path)
    const source = sourceOf(at.keys)
    issues.push(
      error.type === ValueErrorType.ObjectAdditionalProperties
        ? toUnknownKeyIssue(error, at, source)
        : toValueIssue(error, at, source),
    )
  }
  return issues
}
