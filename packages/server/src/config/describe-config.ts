/**
 * The options table, generated from the schema and the defaults: what `tessera config check --json`
 * reports and what scripts/generate-config-docs.ts writes into docs/configuration.md. Generated rather than
 * written, so the documentation cannot drift from what the loader accepts.
 */
import { KindGuard, type TSchema } from '@sinclair/typebox'
import { configDefaults, derivedDefaults } from './defaults.ts'
import { describeExpected, describeType } from './describe-expected.ts'
import { settingLeaves } from './setting-catalog.ts'
import { getSetting } from './settings-tree.ts'

export interface SettingDescription {
  /** Dotted path in the config file; `oidc.providers[].id` for a field of a list entry. */
  readonly path: string
  /** Canonical environment variable; null for a field that is set inside its list's JSON. */
  readonly envName: string | null
  readonly envAliases: readonly string[]
  /** integer, boolean, string, list of strings, list of objects. */
  readonly type: string
  /** The default as text: a value (JSON for lists), or what happens when the setting is unset. */
  readonly defaultValue: string
  /** `value`: a fixed default; `derived`: follows from other settings or is unset; `required`: no default. */
  readonly defaultKind: 'value' | 'derived' | 'required'
  /** What is allowed, as in error messages. */
  readonly range: string
  /** What the setting means. */
  readonly description: string
}

function showDefault(path: string): Pick<SettingDescription, 'defaultValue' | 'defaultKind'> {
  const derived = derivedDefaults[path]
  if (derived !== undefined) return { defaultValue: derived, defaultKind: 'derived' }
  const value = getSetting(configDefaults, path.split('.'))
  if (value === undefined) return { defaultValue: 'required', defaultKind: 'required' }
  return { defaultValue: typeof value === 'string' ? value : JSON.stringify(value), defaultKind: 'value' }
}

function describeOne(
  path: string,
  schema: TSchema,
  env: { name: string | null; aliases: readonly string[] },
): SettingDescription {
  const description: unknown = schema.description
  return {
    path,
    envName: env.name,
    envAliases: env.aliases,
    type: describeType(schema),
    ...showDefault(path),
    range: describeExpected(schema),
    description: typeof description === 'string' ? description : '',
  }
}

/**
 * Describes every setting: path, environment variable (and aliases), type, default, allowed range and
 * meaning, in schema order. The fields of a list of objects (OIDC providers) follow their list as
 * `list[].field` rows.
 *
 * @example
 * const rows = describeConfig()
 * rows.find((row) => row.path === 'port')?.envName // 'TESSERA_PORT'
 */
export function describeConfig(): SettingDescription[] {
  const rows: SettingDescription[] = []
  for (const leaf of settingLeaves) {
    rows.push(describeOne(leaf.path, leaf.schema, { name: leaf.envName, aliases: leaf.envAliases }))
    if (!KindGuard.IsArray(leaf.schema) || !KindGuard.IsObject(leaf.schema.items)) continue
    for (const [key, field] of Object.entries(leaf.schema.items.properties)) {
      rows.push(describeOne(`${leaf.path}[].${key}`, field, { name: null, aliases: [] }))
    }
  }
  return rows
}
