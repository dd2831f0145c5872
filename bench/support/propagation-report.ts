/**
 * The statistics and the table of the revocation-propagation benchmark: per transport, how many logouts
 * reached the guard, how many never did, and the latency percentiles against the transport's p99 target.
 */
import { percentile } from './bench-report.ts'

/** How a guard hears of revocations: the Redis event stream, or the auth server's SSE feed. */
export type Transport = 'Redis' | 'SSE'

/** A logout a guard did not turn into a `session_revoked` refusal within the time allowed. */
export interface PropagationFailure {
  readonly transport: Transport
  /** Index of the session in the run. */
  readonly session: number
  /** What happened instead (still accepted, or refused for another reason). */
  readonly outcome: string
}

/** One row of the table; milliseconds rounded to 0.01. */
export interface PropagationSummary {
  readonly name: string
  readonly count: number
  readonly failures: number
  readonly minMs: number
  readonly meanMs: number
  readonly p50Ms: number
  readonly p90Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  /** The p99 target, if this row has one. */
  readonly targetP99Ms?: number
  /** p99 within the target and no failure. */
  readonly targetMet?: boolean
}

const round = (ms: number): number => Math.round(ms * 100) / 100

/**
 * Summarises the latencies of one transport (or of any other timed step, without a target); the failures
 * counted are those of `name`'s transport. A row with failures never meets its target.
 *
 * @example
 * summarizePropagation('Redis', [2.1, 3.4, 2.8], [], 100).p99Ms // 3.4
 */
export function summarizePropagation(
  name: string,
  latenciesMs: readonly number[],
  failures: readonly PropagationFailure[],
  targetP99Ms: number | undefined,
): PropagationSummary {
  const failed = failures.filter((failure) => failure.transport === name).length
  const p99Ms = round(percentile(latenciesMs, 99))
  const sum = latenciesMs.reduce((total, ms) => total + ms, 0)
  return {
    name,
    count: latenciesMs.length,
    failures: failed,
    minMs: round(Math.min(...latenciesMs)),
    meanMs: round(sum / latenciesMs.length),
    p50Ms: round(percentile(latenciesMs, 50)),
    p90Ms: round(percentile(latenciesMs, 90)),
    p99Ms,
    maxMs: round(Math.max(...latenciesMs)),
    ...(targetP99Ms === undefined ? {} : { targetP99Ms, targetMet: failed === 0 && p99Ms <= targetP99Ms }),
  }
}

/**
 * Formats the rows as a fixed-width table under a heading naming the number of logouts.
 *
 * @example
 * console.log(formatPropagationTable(300, [redisRow, sseRow]))
 */
export function formatPropagationTable(logouts: number, rows: readonly PropagationSummary[]): string {
  const header = ['transport', 'count', 'failed', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'target p99', 'met']
  const cells = rows.map((row) => [
    row.name,
    String(row.count),
    String(row.failures),
    row.p50Ms.toFixed(2),
    row.p90Ms.toFixed(2),
    row.p99Ms.toFixed(2),
    row.maxMs.toFixed(2),
    row.targetP99Ms === undefined ? '' : `≤ ${row.targetP99Ms} ms`,
    row.targetMet === undefined ? '' : row.targetMet ? 'yes' : 'NO',
  ])
  const widths = header.map((title, at) =>
    Math.max(title.length, ...cells.map((row) => row[at]?.length ?? 0)),
  )
  const line = (row: readonly string[]): string =>
    row
      .map((cell, at) => (at === 0 ? cell.padEnd(widths[at] ?? 0) : cell.padStart(widths[at] ?? 0)))
      .join('  ')
  return [
    `## Revocation propagation: logout answered → guard refuses with session_revoked (${logouts} logouts)`,
    line(header),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...cells.map(line),
  ].join('\n')
}
