/**
 * What the HTTP scale-out benchmarks (refresh-rotation, login-storm) share: the `--time=MS` argument, the
 * statistics they report, the machine they ran on, and writing their JSON beside `latest.json`.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'

/**
 * The measured time per case from `--time=MS` (bench/run.ts has already checked it), or `defaultMs`.
 *
 * @example
 * const measureMs = measureMsFromArgs(8000)
 */
export function measureMsFromArgs(defaultMs: number): number {
  const time = process.argv.find((arg) => arg.startsWith('--time='))?.slice('--time='.length)
  return time === undefined ? defaultMs : Number(time)
}

/**
 * The median (mean of the middle two for an even count; 0 for none).
 *
 * @example
 * median([3, 1, 2]) // 2
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

/**
 * The `p`th percentile (0–100) by nearest rank; NaN for no values.
 *
 * @example
 * percentile(latenciesMs, 99)
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1] ?? Number.NaN
}

/** Where and when a run happened; the load averages say how busy the (shared) machine was. */
export interface RunContext {
  readonly startedAt: string
  readonly node: string
  readonly cpu: string
  readonly loadAverageBefore: readonly number[]
}

/**
 * Notes the start of a run.
 *
 * @example
 * const context = startRun()
 */
export function startRun(): RunContext {
  return {
    startedAt: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
    loadAverageBefore: loadavg(),
  }
}

/**
 * Writes `bench/results/<name>.json` (the run context, its end, and `body`) and prints it under a heading.
 *
 * @example
 * writeBenchJson('login-storm', context, { rounds, summary })
 */
export function writeBenchJson(name: string, context: RunContext, body: Record<string, unknown>): void {
  const finished = { finishedAt: new Date().toISOString(), loadAverageAfter: loadavg() }
  const json = JSON.stringify({ ...context, ...finished, ...body }, null, 2)
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true })
  writeFileSync(new URL(`../results/${name}.json`, import.meta.url), `${json}\n`)
  console.log(`\n--- JSON ${name} (also in bench/results/${name}.json) ---\n${json}`)
}
