/**
 * Loads the configuration once at startup: defaults, then the JSON file, then `TESSERA_*` environment
 * variables, then command-line overrides, each later source winning; derives what follows from other
 * settings; validates everything against the one schema; and returns a deep-frozen, typed result. Any
 * problem stops startup with a ConfigError that lists every problem found.
 */
import { resolve } from 'node:path'
import { applyCliOverrides, applyEnvSettings } from './apply-setting-overrides.ts'
import { ConfigError, type ConfigIssue } from './config-error.ts'
import { configDefaults, oidcPresets, oidcProviderDefaultScopes } from './defaults.ts'
import { readConfigFile } from './read-config-file.ts'
import type { Config, ConfigValues } from './schema.ts'
import { configFileEnvName, findSettingByPath } from './setting-catalog.ts'
import {
  findSettingSource,
  getSetting,
  isSettingsNode,
  mergeSettings,
  type SettingSources,
  type SettingsNode,
  setSetting,
} from './settings-tree.ts'
import { validateConfigTree } from './validate-config-tree.ts'

export interface LoadConfigOptions {
  readonly argv?: {
    /** `--config FILE`; wins over `TESSERA_CONFIG`. */
    readonly configFile?: string
    /** Setting overrides from the command line, keyed by dotted path; they win over the environment. */
    readonly overrides?: Readonly<Record<string, string>>
  }
  readonly env: NodeJS.ProcessEnv
  /** Base of the relative config-file path and of a relative `dataDir`. */
  readonly cwd: string
}

// Every part of the server shares this one object; a part that mutated it would change the others' behaviour.
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value
  Object.freeze(value)
  for (const key of Reflect.ownKeys(value)) deepFreeze(Reflect.get(value, key))
  return value
}

function fillDerivedSettings(tree: SettingsNode): void {
  const port = getSetting(tree, ['port'])
  if (getSetting(tree, ['issuer']) === undefined) {
    // An invalid port is reported on its own; deriving from it would add a second, confusing issuer error.
    const isPortValid = typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65_535
    setSetting(tree, ['issuer'], `http://localhost:${isPortValid ? port : configDefaults.port}`)
  }
  const providers = getSetting(tree, ['oidc', 'providers'])
  if (!Array.isArray(providers)) return
  for (const provider of providers) {
    if (!isSettingsNode(provider)) continue
    if (!Object.hasOwn(provider, 'scopes')) setSetting(provider, ['scopes'], [...oidcProviderDefaultScopes])
    for (const flag of ['linkByVerifiedEmail', 'keepUpstreamTokens']) {
      if (!Object.hasOwn(provider, flag)) setSetting(provider, [flag], false)
    }
    const preset = oidcPresets[String(getSetting(provider, ['preset']))]
    if (preset === undefined) continue
    const tenant = getSetting(provider, ['tenant'])
    if (!Object.hasOwn(provider, 'name')) setSetting(provider, ['name'], preset.name)
    if (!Object.hasOwn(provider, 'issuer')) {
      setSetting(provider, ['issuer'], preset.issuer(typeof tenant === 'string' ? tenant : undefined))
    }
  }
}

function crossFieldIssue(
  path: string,
  value: number,
  problem: string,
  expected: string,
  sources: SettingSources,
): ConfigIssue {
  const envName = findSettingByPath(path)?.envName
  return {
    setting: path,
    envName,
    source: findSettingSource(sources, path.split('.')),
    value: String(value),
    problem,
    expected,
  }
}

// Rules that relate two settings; the schema checks each setting alone, so these run once it passed.
function checkCrossFieldRules(config: ConfigValues, sources: SettingSources): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const { idleSeconds, absoluteSeconds } = config.refreshToken
  if (absoluteSeconds < idleSeconds) {
    const problem = `it is shorter than refreshToken.idleSeconds, ${idleSeconds}`
    const expected = 'an integer of at least refreshToken.idleSeconds'
    issues.push(crossFieldIssue('refreshToken.absoluteSeconds', absoluteSeconds, problem, expected, sources))
  }
  const { minLength, maxLength } = config.passwords
  if (maxLength < minLength) {
    const problem = `it is shorter than passwords.minLength, ${minLength}`
    const expected = 'an integer of at least passwords.minLength'
    issues.push(crossFieldIssue('passwords.maxLength', maxLength, problem, expected, sources))
  }
  const seenProviderIds = new Set<string>()
  config.oidc.providers.forEach((provider, index) => {
    if (seenProviderIds.has(provider.id)) {
      issues.push({
        setting: `oidc.providers[${index}].id`,
        envName: findSettingByPath('oidc.providers')?.envName,
        source: findSettingSource(sources, ['oidc', 'providers']),
        value: JSON.stringify(provider.id),
        problem: 'an earlier provider has the same id',
        expected: 'an id unique among the providers',
      })
    }
    seenProviderIds.add(provider.id)
    for (const field of ['issuer', 'name'] as const) {
      if (provider[field] !== undefined) continue
      issues.push({
        setting: `oidc.providers[${index}].${field}`,
        envName: findSettingByPath('oidc.providers')?.envName,
        source: findSettingSource(sources, ['oidc', 'providers']),
        value: 'unset',
        problem: 'it is required unless a preset fills it in',
        expected: `a ${field === 'issuer' ? 'URL' : 'label'}, or preset google or microsoft`,
      })
    }
    if (
      (provider.tenant !== undefined || provider.allowedTenants !== undefined) &&
      provider.preset !== 'microsoft'
    ) {
      issues.push({
        setting: `oidc.providers[${index}].tenant`,
        envName: findSettingByPath('oidc.providers')?.envName,
        source: findSettingSource(sources, ['oidc', 'providers']),
        value: JSON.stringify(provider.tenant ?? provider.allowedTenants),
        problem: 'tenant and allowedTenants apply to the microsoft preset only',
        expected: 'preset microsoft, or no tenant',
      })
    }
  })
  const { webhook } = config.securityEvents
  if (webhook.url !== undefined && webhook.secret === undefined) {
    // An unsigned webhook would let anyone who can reach the receiver forge security events.
    issues.push({
      setting: 'securityEvents.webhook.secret',
      envName: findSettingByPath('securityEvents.webhook.secret')?.envName,
      source: findSettingSource(sources, ['securityEvents', 'webhook', 'secret']),
      value: 'unset',
      problem: 'securityEvents.webhook.url is set, and deliveries must be signed',
      expected: 'at least 32 bytes of UTF-8 text',
    })
  }
  return issues
}

/**
 * Loads, validates and freezes the configuration. Throws a ConfigError naming every bad setting (path, env
 * name, masked value, source and allowed range); never returns a partially valid configuration.
 *
 * @example
 * const config = loadConfig({ env: process.env, cwd: process.cwd() })
 * console.log(config.issuer, config.accessToken.ttlSeconds)
 */
export function loadConfig(options: LoadConfigOptions): Config {
  const issues: ConfigIssue[] = []
  const sources: SettingSources = new Map()
  const tree: SettingsNode = structuredClone(configDefaults)

  const namedByFlag = options.argv?.configFile
  const namedByEnv = options.env[configFileEnvName]
  const file = readConfigFile({
    namedPath: namedByFlag ?? (namedByEnv === '' ? undefined : namedByEnv),
    namedBy: namedByFlag === undefined ? configFileEnvName : '--config',
    cwd: options.cwd,
  })
  if (file.kind === 'failed') issues.push(file.issue)
  if (file.kind === 'loaded') mergeSettings(tree, file.content, { label: `file ${file.path}`, sources })

  issues.push(...applyEnvSettings(tree, options.env, sources))
  issues.push(...applyCliOverrides(tree, options.argv?.overrides ?? {}, sources))
  fillDerivedSettings(tree)

  const schemaIssues = validateConfigTree(tree, (keys) => findSettingSource(sources, keys))
  issues.push(...schemaIssues)
  if (schemaIssues.length === 0) issues.push(...checkCrossFieldRules(tree as ConfigValues, sources))
  if (issues.length > 0) throw new ConfigError(issues)

  const config = tree as ConfigValues
  config.dataDir = resolve(options.cwd, config.dataDir)
  return deepFreeze(config)
}
