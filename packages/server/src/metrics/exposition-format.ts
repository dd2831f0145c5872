/**
 * The Prometheus text exposition format, version 0.0.4: the few rules a sample line must obey. Written here
 * rather than pulled from prom-client because the server needs counters, one histogram and two gauges, and
 * every dependency is code that runs with the signing keys in memory.
 */

/** The `Content-Type` a scraper expects for format 0.0.4. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** A label name and its value, in the order the metric declared its label names. */
export type LabelPair = readonly [name: string, value: string]

/**
 * Escapes a label value: backslash, double quote and line feed are the three characters the format
 * reserves inside `"…"`; anything else (UTF-8 included) passes as is.
 *
 * @example
 * escapeLabelValue('a"b\\c\nd') // 'a\\"b\\\\c\\nd'
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (char) => (char === '\n' ? '\\n' : `\\${char}`))
}

/**
 * Escapes `# HELP` text: backslash and line feed only (a quote is literal there).
 *
 * @example
 * escapeHelpText('line one\nline two') // 'line one\\nline two'
 */
export function escapeHelpText(text: string): string {
  return text.replace(/[\\\n]/g, (char) => (char === '\n' ? '\\n' : '\\\\'))
}

/**
 * Formats a sample value the way Prometheus parses it: `+Inf`, `-Inf`, `NaN`, otherwise a Go-style float.
 *
 * @example
 * formatSampleValue(Number.POSITIVE_INFINITY) // '+Inf'
 */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}

/**
 * One sample line: `name{label="value",…} value`, without the braces when there are no labels.
 *
 * @example
 * formatSampleLine('tessera_signups_total', [], 3) // 'tessera_signups_total 3'
 */
export function formatSampleLine(name: string, labels: readonly LabelPair[], value: number): string {
  const pairs = labels.map(([label, text]) => `${label}="${escapeLabelValue(text)}"`)
  const selector = pairs.length === 0 ? '' : `{${pairs.join(',')}}`
  return `${name}${selector} ${formatSampleValue(value)}`
}

/**
 * Refuses a metric name the format cannot carry; names are fixed in code, so this fails at startup.
 *
 * @example
 * assertMetricName('tessera_logins_total') // returns; 'tessera-logins' throws a TypeError
 */
export function assertMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) throw new TypeError(`metric name ${JSON.stringify(name)} is not valid`)
}

/**
 * Refuses a label name the format cannot carry, and the `__` prefix Prometheus keeps for itself.
 *
 * @example
 * assertLabelName('route') // returns; '__name__' throws a TypeError
 */
export function assertLabelName(name: string): void {
  if (!LABEL_NAME.test(name) || name.startsWith('__')) {
    throw new TypeError(`label name ${JSON.stringify(name)} is not valid`)
  }
}
