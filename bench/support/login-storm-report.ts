/**
 * The login-storm benchmark's figures: what one phase of a round measured, and the summary, table and JSON
 * rows built from all rounds (ratios paired per round, then the median; /me percentiles pooled over rounds).
 */
import { median, percentile } from './bench-report.ts'
import type { LoopStats } from './forked-server.ts'

/** One phase (quiet or storm) of a round, as seen from the load generator and the server child. */
export interface Phase {
  readonly meLatenciesMs: readonly number[]
  readonly meFailures: number
  readonly logins: number
  readonly loginFailures: number
  readonly loginsPerSecond: number
  /** The server's event loop: delay percentiles and utilisation (wall time spent busy). */
  readonly loop: LoopStats
  /** This process's event-loop delay p99 (ms): when high, the load generator itself was starved. */
  readonly clientLoopDelayP99Ms: number
  /** This process's CPU time ÷ wall time: what the load generator took from the same cores. */
  readonly clientCpuCores: number
  /** CPU time of the whole server process ÷ wall time: cores in use (argon2 threads included). */
  readonly serverCpuCores: number
  /** CPU time of the server's main thread ÷ wall time. Below `loop.utilization`: busy but off-CPU. */
  readonly mainThreadCpuCores: number
}

export interface Round {
  readonly hashesPerSecond: number
  readonly quiet: Phase
  readonly storm: Phase
}

const fixed = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a')
const verdict = (isMet: boolean): string => (isMet ? 'MET' : 'NOT MET')
const pair = (a: number, b: number, digits = 2): string => `${fixed(a, digits)} / ${fixed(b, digits)}`

/**
 * The medians and pooled percentiles of a run, and a printable table of them with the targets.
 *
 * @example
 * const { summary, table } = summarizeLoginStorm(rounds, { hashConcurrency: 4, loginConnections: 16 })
 * console.log(table)
 */
export function summarizeLoginStorm(
  rounds: readonly Round[],
  setup: { readonly hashConcurrency: number; readonly loginConnections: number },
): { summary: Record<string, number>; table: string } {
  const quiet = rounds.flatMap((round) => round.quiet.meLatenciesMs)
  const storm = rounds.flatMap((round) => round.storm.meLatenciesMs)
  const mid = (read: (round: Round) => number): number => median(rounds.map(read))
  const summary = {
    ...setup,
    hashesPerSecond: mid((r) => r.hashesPerSecond),
    loginsPerSecond: mid((r) => r.storm.loginsPerSecond),
    loginsToHashes: mid((r) => r.storm.loginsPerSecond / r.hashesPerSecond),
    meQuietP50Ms: percentile(quiet, 50),
    meQuietP99Ms: percentile(quiet, 99),
    meStormP50Ms: percentile(storm, 50),
    meStormP99Ms: percentile(storm, 99),
    meP99StormToQuiet: percentile(storm, 99) / percentile(quiet, 99),
    meP99StormToQuietRoundMedian: mid(
      (r) => percentile(r.storm.meLatenciesMs, 99) / percentile(r.quiet.meLatenciesMs, 99),
    ),
    failures: rounds.reduce(
      (sum, r) => sum + r.quiet.meFailures + r.storm.meFailures + r.storm.loginFailures,
      0,
    ),
    serverLoopDelayP99MsQuiet: mid((r) => r.quiet.loop.delayP99Ms),
    serverLoopDelayP99MsStorm: mid((r) => r.storm.loop.delayP99Ms),
    serverLoopBusyQuiet: mid((r) => r.quiet.loop.utilization),
    serverLoopBusyStorm: mid((r) => r.storm.loop.utilization),
    mainThreadCpuCoresStorm: mid((r) => r.storm.mainThreadCpuCores),
    serverCpuCoresStorm: mid((r) => r.storm.serverCpuCores),
    clientLoopDelayP99MsQuiet: mid((r) => r.quiet.clientLoopDelayP99Ms),
    clientLoopDelayP99MsStorm: mid((r) => r.storm.clientLoopDelayP99Ms),
    clientCpuCoresStorm: mid((r) => r.storm.clientCpuCores),
  }
  const s = summary
  const rows: (readonly [string, string, string])[] = [
    ['argon2id limit (the hasher alone), hashes/s', fixed(s.hashesPerSecond), ''],
    ['logins/s during the storm', fixed(s.loginsPerSecond), ''],
    [
      'logins/s ÷ hashes/s',
      `${fixed(s.loginsToHashes * 100)}%`,
      `target ≥ 90%: ${verdict(s.loginsToHashes >= 0.9)}`,
    ],
    ['GET /v1/me p50 / p99 quiet (ms)', pair(s.meQuietP50Ms, s.meQuietP99Ms), ''],
    ['GET /v1/me p50 / p99 storm (ms)', pair(s.meStormP50Ms, s.meStormP99Ms), ''],
    [
      '/me p99 storm ÷ quiet (pooled rounds)',
      `${fixed(s.meP99StormToQuiet, 2)}×`,
      `target ≤ 2×: ${verdict(s.meP99StormToQuiet <= 2)}`,
    ],
    ['/me p99 storm ÷ quiet (median of rounds)', `${fixed(s.meP99StormToQuietRoundMedian, 2)}×`, ''],
    [
      'server loop delay p99 quiet / storm (ms)',
      pair(s.serverLoopDelayP99MsQuiet, s.serverLoopDelayP99MsStorm),
      '',
    ],
    [
      'server loop busy (wall) quiet / storm',
      pair(s.serverLoopBusyQuiet * 100, s.serverLoopBusyStorm * 100, 0),
      '%',
    ],
    [
      'server main thread on CPU / all threads, storm',
      pair(s.mainThreadCpuCoresStorm, s.serverCpuCoresStorm),
      'cores',
    ],
    [
      'load generator loop delay p99 quiet / storm',
      pair(s.clientLoopDelayP99MsQuiet, s.clientLoopDelayP99MsStorm),
      'ms',
    ],
    ['load generator CPU, storm', fixed(s.clientCpuCoresStorm, 2), 'cores'],
    ['failed requests (any phase)', String(s.failures), 'should be 0'],
  ]
  const widths = [0, 1, 2].map((at) => Math.max(...rows.map((row) => row[at]?.length ?? 0)))
  const line = (row: readonly string[]): string =>
    row
      .map((cell, at) => (at === 1 ? cell.padStart(widths[at] ?? 0) : cell.padEnd(widths[at] ?? 0)))
      .join('  ')
  return { summary, table: rows.map(line).join('\n') }
}

/**
 * The rounds for the JSON: every measured figure, with /me latencies reduced to count, p50, p99 and max.
 *
 * @example
 * writeBenchJson('login-storm', context, { rounds: roundsForJson(rounds) })
 */
export function roundsForJson(rounds: readonly Round[]): Record<string, unknown>[] {
  const phase = ({ meLatenciesMs, ...rest }: Phase): Record<string, unknown> => ({
    ...rest,
    meRequests: meLatenciesMs.length,
    meP50Ms: percentile(meLatenciesMs, 50),
    meP99Ms: percentile(meLatenciesMs, 99),
    meMaxMs: percentile(meLatenciesMs, 100),
  })
  return rounds.map((round) => ({
    hashesPerSecond: round.hashesPerSecond,
    quiet: phase(round.quiet),
    storm: phase(round.storm),
  }))
}
