/**
 * The settings as a flat list, read off the schema: every leaf (anything that is not a nested object) with
 * its dotted path and its environment variable. The env name is derived, never listed by hand, so a new
 * setting gets one automatically: `TESSERA_` + the path in upper snake case (SPEC §1).
 */
import { KindGuard, type TSchema } from '@sinclair/typebox'
import { configSchema } from './schema.ts'

export interface SettingLeaf {
  /** Dotted path in the config file: `accessToken.ttlSeconds`. */
  readonly path: string
  /** `TESSERA_ACCESS_TOKEN_TTL_SECONDS`. */
  readonly envName: string
  /** Shorter names SPEC §1 also promises for this setting. */
  readonly envAliases: readonly string[]
  readonly schema: TSchema
  /** True when the setting may be absent (it has no default and nothing requires it). */
  readonly isOptional: boolean
}

/** The variable that names the config file; it selects a source rather than setting a value. */
export const configFileEnvName = 'TESSERA_CONFIG'

/**
 * TESSERA_* variables that are not settings of the server: the test suite's switch that turns "PostgreSQL
 * or Redis not reachable" from a loud skip into a failure (set by .ci/run). They are ignored, not rejected.
 */
export const nonSettingEnvNames: ReadonlySet<string> = new Set([
  configFileEnvName,
  'TESSERA_REQUIRE_SERVICES',
])

// SPEC §1 names these shorter spellings; each maps to exactly one setting.
const envAliasTargets: Readonly<Record<string, string>> = {
  TESSERA_ACCESS_TOKEN_TTL: 'accessToken.ttlSeconds',
  TESSERA_REFRESH_GRACE_SECONDS: 'refreshToken.graceSeconds',
}

/**
 * Turns a dotted setting path into its environment variable name.
 *
 * @example
 * toEnvName('accessToken.ttlSeconds') // 'TESSERA_ACCESS_TOKEN_TTL_SECONDS'
 */
export function toEnvName(path: string): string {
  const snake = path
    .split('.')
    .map((segment) => segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('_')
  return `TESSERA_${snake}`
}

function collectLeaves(
  schema: TSchema,
  prefix: string,
  isOptional: boolean,
  out: SettingLeaf[],
): SettingLeaf[] {
  if (!KindGuard.IsObject(schema)) {
    const envName = toEnvName(prefix)
    const envAliases = Object.keys(envAliasTargets).filter((alias) => envAliasTargets[alias] === prefix)
    out.push({ path: prefix, envName, envAliases, schema, isOptional })
    return out
  }
  const required = new Set(schema.required ?? [])
  for (const [key, child] of Object.entries(schema.properties)) {
    const path = prefix === '' ? key : `${prefix}.${key}`
    collectLeaves(child, path, isOptional || !required.has(key), out)
  }
  return out
}

/** Every setting, in schema order. */
export const settingLeaves: readonly SettingLeaf[] = Object.freeze(collectLeaves(configSchema, '', false, []))

const leavesByPath = new Map(settingLeaves.map((leaf) => [leaf.path, leaf]))
const leavesByEnvName = new Map(
  settingLeaves.flatMap((leaf) => [leaf.envName, ...leaf.envAliases].map((name) => [name, leaf] as const)),
)

/**
 * Finds the setting an environment variable sets, by its canonical name or an alias.
 *
 * @example
 * findSettingByEnvName('TESSERA_ACCESS_TOKEN_TTL')?.path // 'accessToken.ttlSeconds'
 */
export function findSettingByEnvName(name: string): SettingLeaf | undefined {
  return leavesByEnvName.get(name)
}

/**
 * Finds a setting by its dotted path.
 *
 * @example
 * findSettingByPath('log.level')?.envName // 'TESSERA_LOG_LEVEL'
 */
export function findSettingByPath(path: string): SettingLeaf | undefined {
  return leavesByPath.get(path)
}

/**
 * Every environment variable name Tessera reads, for "did you mean" suggestions.
 *
 * @example
 * knownEnvNames().includes('TESSERA_PORT') // true
 */
export function knownEnvNames(): string[] {
  return [configFileEnvName, ...leavesByEnvName.keys()]
}
