/**
 * The error that stops startup on a bad configuration. Like fastify's lib/initial-config-validation.js it
 * names what is wrong, but for people rather than for ajv: each issue names the setting by its path and its
 * environment variable, shows the rejected value (masked where secret), where it came from, and what is
 * allowed. All issues are collected and reported together, so one restart fixes them all.
 */

export interface ConfigIssue {
  /** Dotted path (`accessToken.ttlSeconds`, `allowedOrigins[1]`); absent for an unknown env variable. */
  readonly setting?: string | undefined
  /** The setting's canonical environment variable, or the unknown variable itself. */
  readonly envName?: string | undefined
  /** Where the value came from: an env variable, `file …`, `command line`, `default`. */
  readonly source?: string | undefined
  /** The rejected value as shown to people: quoted, cut, masked; absent when it must not be shown. */
  readonly value?: string | undefined
  /** The specific rule the value broke, when there is one more precise than `expected`. */
  readonly problem?: string | undefined
  /** What is allowed: the type and range. */
  readonly expected: string
}

/**
 * Renders one issue as a line of the error message.
 *
 * @example
 * formatConfigIssue({ setting: 'port', envName: 'TESSERA_PORT', value: '70000', source: 'TESSERA_PORT',
 *   expected: 'an integer from 0 to 65535' })
 * // 'port (TESSERA_PORT): got 70000 from TESSERA_PORT; expected an integer from 0 to 65535'
 */
export function formatConfigIssue(issue: ConfigIssue): string {
  const subject =
    issue.setting === undefined
      ? (issue.envName ?? 'configuration')
      : `${issue.setting}${issue.envName === undefined ? '' : ` (${issue.envName})`}`
  const origin = issue.source === undefined ? '' : ` from ${issue.source}`
  const found =
    issue.value === undefined
      ? issue.source === undefined
        ? 'rejected'
        : `found in ${issue.source}`
      : `got ${issue.value}${origin}`
  const problem = issue.problem === undefined ? '' : ` (${issue.problem})`
  return `${subject}: ${found}${problem}; expected ${issue.expected}`
}

/** A configuration that cannot be used; `issues` lists every problem found. */
export class ConfigError extends Error {
  static readonly code = 'invalid_config'
  readonly code = ConfigError.code
  readonly issues: readonly ConfigIssue[]

  constructor(issues: readonly ConfigIssue[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`
    super(
      `Invalid configuration (${count}):\n${issues.map((issue) => `  - ${formatConfigIssue(issue)}`).join('\n')}`,
    )
    this.name = 'ConfigError'
    this.issues = Object.freeze([...issues])
  }
}
