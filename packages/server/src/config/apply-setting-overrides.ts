/**
 * Applies the string-valued sources, environment variables and command-line overrides, onto the settings
 * tree. Every `TESSERA_*` variable must name a setting: a misspelt one (`TESSERA_ACESS_TOKEN_TTL`) would
 * otherwise be ignored and leave a default in force that the operator believes they changed.
 */
import { KindGuard } from '@sinclair/typebox'
import type { ConfigIssue } from './config-error.ts'
import { describeExpected } from './describe-expected.ts'
import { parseEnvValue } from './parse-env-value.ts'
import { renderSettingValue } from './render-setting-value.ts'
import {
  findSettingByEnvName,
  findSettingByPath,
  knownEnvNames,
  nonSettingEnvNames,
  type SettingLeaf,
  settingLeaves,
} from './setting-catalog.ts'
import { type SettingSources, type SettingsNode, setSetting } from './settings-tree.ts'
import { suggestName } from './suggest-name.ts'

const envPrefix = 'TESSERA_'

function renderText(text: string, leaf: SettingLeaf): string | undefined {
  // A list of objects arrives as JSON that may hold client secrets: never echo it.
  if (KindGuard.IsArray(leaf.schema) && KindGuard.IsObject(leaf.schema.items)) return undefined
  return renderSettingValue(text, leaf.schema)
}

function applyText(
  tree: SettingsNode,
  leaf: SettingLeaf,
  text: string,
  source: string,
  sources: SettingSources,
): ConfigIssue | undefined {
  const keys = leaf.path.split('.')
  sources.set(leaf.path, source)
  // Deployment templates often render an unset variable as empty; for an optional setting that means unset.
  if (text === '' && leaf.isOptional) {
    setSetting(tree, keys, undefined)
    return undefined
  }
  const parsed = parseEnvValue(text, leaf.schema)
  if (parsed.ok) {
    setSetting(tree, keys, parsed.value)
    return undefined
  }
  const issue: ConfigIssue = {
    setting: leaf.path,
    envName: leaf.envName,
    source,
    value: renderText(text, leaf),
    problem: parsed.problem,
    expected: describeExpected(leaf.schema),
  }
  return issue
}

/**
 * Applies every `TESSERA_*` variable of `env` to the tree. Returns the issues: unknown names (with a
 * suggestion), unparsable values, and a setting given different values through its name and an alias.
 *
 * @example
 * const issues = applyEnvSettings(tree, { TESSERA_PORT: '9000' }, sources)
 */
export function applyEnvSettings(
  tree: SettingsNode,
  env: NodeJS.ProcessEnv,
  sources: SettingSources,
): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const byPath = new Map<string, { leaf: SettingLeaf; name: string; text: string }>()
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith(envPrefix) || nonSettingEnvNames.has(name) || text === undefined) continue
    const leaf = findSettingByEnvName(name)
    if (leaf === undefined) {
      const suggestion = suggestName(name, knownEnvNames())
      issues.push({
        envName: name,
        source: 'the environment',
        problem: `there is no such variable${suggestion === undefined ? '' : `; did you mean ${suggestion}?`}`,
        expected: 'only the TESSERA_* names listed in docs/configuration.md',
      })
      continue
    }
    const earlier = byPath.get(leaf.path)
    if (earlier !== undefined && earlier.text !== text) {
      issues.push({
        setting: leaf.path,
        envName: leaf.envName,
        source: `${earlier.name} and ${name}`,
        problem: 'both are set, to different values',
        expected: 'one of the two names, or both with the same value',
      })
      continue
    }
    byPath.set(leaf.path, { leaf, name, text })
  }
  for (const { leaf, name, text } of byPath.values()) {
    const issue = applyText(tree, leaf, text, name, sources)
    if (issue !== undefined) issues.push(issue)
  }
  return issues
}

/**
 * Applies command-line overrides, keyed by dotted setting path (`{ 'log.level': 'debug' }`), with the
 * same parsing as environment variables. Returns the issues.
 *
 * @example
 * const issues = applyCliOverrides(tree, { port: '0' }, sources)
 */
export function applyCliOverrides(
  tree: SettingsNode,
  overrides: Readonly<Record<string, string>>,
  sources: SettingSources,
): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  for (const [path, text] of Object.entries(overrides)) {
    const leaf = findSettingByPath(path)
    if (leaf === undefined) {
      const suggestion = suggestName(
        path,
        settingLeaves.map((candidate) => candidate.path),
      )
      issues.push({
        setting: path,
        source: 'the command line',
        problem: `there is no such setting${suggestion === undefined ? '' : `; did you mean ${suggestion}?`}`,
        expected: 'a setting path listed in docs/configuration.md',
      })
      continue
    }
    const issue = applyText(tree, leaf, text, 'the command line', sources)
    if (issue !== undefined) issues.push(issue)
  }
  return issues
}
