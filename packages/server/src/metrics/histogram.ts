import { type LabelValues, SeriesTable } from './counter.ts'
import { assertMetricName, formatSampleLine, formatSampleValue, type LabelPair } from './exposition-format.ts'

/**
 * Request latency buckets in seconds: Prometheus' defaults, which straddle both a 2 ms token refresh and
 * an argon2id login of a few hundred milliseconds.
 */
export const DEFAULT_DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

export interface HistogramOptions<L extends string> {
  readonly name: string
  readonly help: string
  readonly labelNames: readonly L[]
  /** Upper bounds, finite and strictly increasing; `+Inf` is implied. */
  readonly buckets: readonly number[]
  readonly maxSeries?: number
}

interface HistogramSeries {
  /** Observations per bucket, not yet cumulative; the last slot is the `+Inf` overflow. */
  readonly counts: number[]
  sum: number
  count: number
}

/** Observations counted into fixed buckets, per label set: `_bucket{le}`, `_sum`, `_count`. */
export class Histogram<L extends string = never> {
  readonly type = 'histogram'
  readonly name: string
  readonly help: string
  readonly buckets: readonly number[]
  readonly #table: SeriesTable<L, HistogramSeries>

  constructor(options: HistogramOptions<L>) {
    assertMetricName(options.name)
    if ((options.labelNames as readonly string[]).includes('le')) {
      throw new TypeError('a histogram reserves the label name le')
    }
    const { buckets } = options
    const isIncreasing = buckets.every(
      (bound, index) => Number.isFinite(bound) && (index === 0 || bound > (buckets[index - 1] ?? bound)),
    )
    if (buckets.length === 0 || !isIncreasing) {
      throw new TypeError('histogram buckets must be finite and strictly increasing')
    }
    this.name = options.name
    this.help = options.help
    this.buckets = [...buckets]
    this.#table = new SeriesTable(options.labelNames, options.maxSeries ?? 1000)
  }

  /**
   * Counts one observation into the first bucket whose bound is at least `value` (bounds are inclusive,
   * `le` = "less than or equal").
   *
   * @example
   * durations.observe({ method: 'POST', route: '/v1/login' }, 0.182)
   */
  observe(labels: LabelValues<L>, value: number): void {
    if (Number.isNaN(value)) return
    const series = this.#table.get(labels, () => ({
      counts: new Array<number>(this.buckets.length + 1).fill(0),
      sum: 0,
      count: 0,
    }))
    if (!series) return
    const index = this.buckets.findIndex((bound) => value <= bound)
    const slot = index === -1 ? this.buckets.length : index
    series.counts[slot] = (series.counts[slot] ?? 0) + 1
    series.sum += value
    series.count += 1
  }

  /**
   * The sample lines of this family: cumulative buckets ending in `+Inf`, then `_sum` and `_count`.
   *
   * @example
   * histogram.renderSamples() // ['…_bucket{le="0.005"} 0', …, '…_sum 0.18', '…_count 1']
   */
  renderSamples(): string[] {
    const lines: string[] = []
    for (const { labels, state } of this.#table.entries()) lines.push(...this.#renderSeries(labels, state))
    return lines
  }

  #renderSeries(labels: readonly LabelPair[], series: HistogramSeries): string[] {
    const lines: string[] = []
    let cumulative = 0
    for (const [index, bound] of this.buckets.entries()) {
      cumulative += series.counts[index] ?? 0
      lines.push(
        formatSampleLine(`${this.name}_bucket`, [...labels, ['le', formatSampleValue(bound)]], cumulative),
      )
    }
    lines.push(formatSampleLine(`${this.name}_bucket`, [...labels, ['le', '+Inf']], series.count))
    lines.push(formatSampleLine(`${this.name}_sum`, labels, series.sum))
    lines.push(formatSampleLine(`${this.name}_count`, labels, series.count))
    return lines
  }
}
