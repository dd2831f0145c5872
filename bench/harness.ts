/**
 * A small benchmark harness: named cases run side by side for a fixed time budget after a warm-up, in
 * interleaved rounds (so machine noise hits every case alike), and are reported as ops/s, ns/op and a ratio
 * to the suite's baseline case. Sync and async cases are both supported; an async case is awaited one call
 * at a time, which is how a request handler would use it.
 *
 * Each round records wall time and process CPU time (all threads, so WebCrypto's thread-pool work counts).
 * On a quiet machine the two agree; on a shared one wall time swings with other load while CPU time per
 * operation stays put, so both ratios are reported.
 */
import { performance } from 'node:perf_hooks'

export interface BenchCase {
  readonly name: string
  /** One operation. May return a promise, which is awaited before the next call. */
  readonly run: () => unknown
}

export interface BenchSuite {
  readonly name: string
  /** The `name` of the case every ratio is relative to. */
  readonly baseline: string
  readonly cases: readonly BenchCase[]
  /** One line printed under the table (what is being compared, the target). */
  readonly note?: string
}

/** What a `*.bench.ts` file exports as `default`. */
export interface BenchDefinition {
  readonly name: string
  readonly suites: () => Promise<readonly BenchSuite[]> | readonly BenchSuite[]
}

export interface BenchTiming {
  readonly warmupMs: number
  /** Measured time per case, split evenly across the rounds. */
  readonly measureMs: number
  readonly rounds: number
}

export interface CaseResult {
  readonly name: string
  /** Median over the rounds. */
  readonly opsPerSecond: number
  readonly nsPerOp: number
  /** Median over the rounds of (this case's rate ÷ the baseline's rate in the same round). */
  readonly ratioToBaseline: number
  /** Median CPU time per operation (process user + system, all threads). */
  readonly cpuNsPerOp: number
  /** Median over the rounds of (baseline CPU time per op ÷ this case's CPU time per op). */
  readonly cpuRatioToBaseline: number
  readonly iterations: number
  readonly roundOpsPerSecond: readonly number[]
  readonly roundCpuNsPerOp: readonly number[]
}

export interface SuiteResult {
  readonly name: string
  readonly baseline: string
  readonly note?: string
  readonly cases: readonly CaseResult[]
}

// Many short rounds: on a shared machine load comes and goes in seconds, and short interleaved rounds let
// every case see the same load. Ratios are taken round by round (paired), then the median.
export const defaultTiming: BenchTiming = { warmupMs: 400, measureMs: 2500, rounds: 20 }

// Results land here so the optimiser cannot discard a case's work as dead code.
let blackhole: unknown

interface Sample {
  readonly iterations: number
  readonly elapsedMs: number
  readonly cpuMs: number
}

async function runFor(benchCase: BenchCase, durationMs: number, batchSize: number): Promise<Sample> {
  const cpuAtStart = process.cpuUsage()
  const startedAt = performance.now()
  const deadline = startedAt + durationMs
  let iterations = 0
  let now = startedAt
  do {
    for (let index = 0; index < batchSize; index++) {
      const result = benchCase.run()
      blackhole = result instanceof Promise ? await result : result
    }
    iterations += batchSize
    now = performance.now()
  } while (now < deadline)
  const cpu = process.cpuUsage(cpuAtStart)
  return { iterations, elapsedMs: now - startedAt, cpuMs: (cpu.user + cpu.system) / 1000 }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

/**
 * Runs every case of a suite: a warm-up per case (which also sizes the batches to about a millisecond), then
 * `rounds` rounds in which each case runs for `measureMs / rounds`, the case order rotating every round.
 *
 * @example
 * const result = await runSuite({ name: 'x', baseline: 'a', cases: [{ name: 'a', run: () => f() }] })
 * console.log(formatSuite(result))
 */
export async function runSuite(suite: BenchSuite, timing: BenchTiming = defaultTiming): Promise<SuiteResult> {
  if (!suite.cases.some((benchCase) => benchCase.name === suite.baseline)) {
    throw new Error(`suite ${suite.name}: baseline ${suite.baseline} is not one of its cases`)
  }
  const batchSizes = new Map<string, number>()
  for (const benchCase of suite.cases) {
    const warmup = await runFor(benchCase, timing.warmupMs, 1)
    const msPerOp = warmup.elapsedMs / warmup.iterations
    batchSizes.set(benchCase.name, Math.max(1, Math.floor(1 / msPerOp)))
  }
  const samples = new Map<string, Sample[]>(suite.cases.map((benchCase) => [benchCase.name, []]))
  const roundMs = timing.measureMs / timing.rounds
  for (let round = 0; round < timing.rounds; round++) {
    for (let offset = 0; offset < suite.cases.length; offset++) {
      const benchCase = suite.cases[(round + offset) % suite.cases.length]
      if (benchCase === undefined) continue
      const sample = await runFor(benchCase, roundMs, batchSizes.get(benchCase.name) ?? 1)
      samples.get(benchCase.name)?.push(sample)
    }
  }
  const measured = suite.cases.map((benchCase) => {
    const caseSamples = samples.get(benchCase.name) ?? []
    const roundOpsPerSecond = caseSamples.map((sample) => (sample.iterations * 1000) / sample.elapsedMs)
    const roundCpuNsPerOp = caseSamples.map((sample) => (sample.cpuMs * 1e6) / sample.iterations)
    const iterations = caseSamples.reduce((sum, sample) => sum + sample.iterations, 0)
    return {
      name: benchCase.name,
      opsPerSecond: median(roundOpsPerSecond),
      iterations,
      roundOpsPerSecond,
      roundCpuNsPerOp,
    }
  })
  const baseline = measured.find((result) => result.name === suite.baseline)
  const baselineRounds = baseline?.roundOpsPerSecond ?? []
  const baselineCpuRounds = baseline?.roundCpuNsPerOp ?? []
  const cases = measured.map((result) => ({
    ...result,
    nsPerOp: 1e9 / result.opsPerSecond,
    ratioToBaseline: median(
      result.roundOpsPerSecond.map((ops, round) => ops / (baselineRounds[round] ?? Number.NaN)),
    ),
    cpuNsPerOp: median(result.roundCpuNsPerOp),
    cpuRatioToBaseline: median(
      result.roundCpuNsPerOp.map((ns, round) => (baselineCpuRounds[round] ?? Number.NaN) / ns),
    ),
  }))
  return {
    name: suite.name,
    baseline: suite.baseline,
    ...(suite.note === undefined ? {} : { note: suite.note }),
    cases,
  }
}

/**
 * Formats a suite result as a fixed-width table: case, wall ops/s and ns/op, CPU ns/op, both ratios to the
 * baseline, and the spread of the rounds.
 *
 * @example
 * process.stdout.write(`${formatSuite(result)}\n`)
 */
export function formatSuite(result: SuiteResult): string {
  const header = [
    'case',
    'ops/s',
    'ns/op',
    'vs baseline',
    'CPU ns/op',
    'vs baseline (CPU)',
    'rounds min–max ops/s',
  ]
  const rows = result.cases.map((benchCase) => [
    benchCase.name,
    Math.round(benchCase.opsPerSecond).toLocaleString('en-US'),
    Math.round(benchCase.nsPerOp).toLocaleString('en-US'),
    `${(benchCase.ratioToBaseline * 100).toFixed(1)}%`,
    Math.round(benchCase.cpuNsPerOp).toLocaleString('en-US'),
    `${(benchCase.cpuRatioToBaseline * 100).toFixed(1)}%`,
    `${Math.round(Math.min(...benchCase.roundOpsPerSecond))}–${Math.round(Math.max(...benchCase.roundOpsPerSecond))}`,
  ])
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  )
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ')
  const rule = widths.map((width) => '-'.repeat(width)).join('  ')
  const lines = [
    `## ${result.name}`,
    `baseline: ${result.baseline}; ratios are paired per round, then the median`,
  ]
  lines.push(line(header), rule, ...rows.map(line))
  if (result.note !== undefined) lines.push(result.note)
  return lines.join('\n')
}

/** Keeps the blackhole observable, so no engine can prove the benchmarked results unused. */
export function readBlackhole(): unknown {
  return blackhole
}
