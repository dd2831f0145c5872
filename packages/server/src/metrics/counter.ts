import { assertLabelName, assertMetricName, formatSampleLine, type LabelPair } from './exposition-format.ts'

/** The values of a metric's labels, one per declared label name. */
export type LabelValues<L extends string> = { readonly [K in L]: string }

export interface CounterOptions<L extends string> {
  readonly name: string
  readonly help: string
  readonly labelNames: readonly L[]
  /**
   * Series beyond this many are not recorded. Every label of ours comes from a closed set, so this only
   * bites on a bug; it keeps such a bug from growing memory and the scrape without bound. Default 1000.
   */
  readonly maxSeries?: number
}

/** Default bound on the series of one metric family. */
export const DEFAULT_MAX_SERIES = 1000

/**
 * The series of one labelled family: a key per label set, in declaration order. Shared by counters and
 * histograms.
 */
export class SeriesTable<L extends string, S> {
  readonly labelNames: readonly L[]
  readonly #maxSeries: number
  readonly #series = new Map<string, { readonly labels: readonly LabelPair[]; readonly state: S }>()

  constructor(labelNames: readonly L[], maxSeries: number) {
    for (const label of labelNames) assertLabelName(label)
    this.labelNames = labelNames
    this.#maxSeries = maxSeries
  }

  /**
   * The state of a label set, created on first use; undefined once the family is full.
   *
   * @example
   * table.get({ outcome: 'ok' }, () => ({ value: 0 }))
   */
  get(labels: LabelValues<L>, create: () => S): S | undefined {
    const pairs: LabelPair[] = this.labelNames.map((name) => [name, labels[name]])
    const key = JSON.stringify(pairs.map(([, value]) => value))
    const found = this.#series.get(key)
    if (found) return found.state
    if (this.#series.size >= this.#maxSeries) return undefined
    const state = create()
    this.#series.set(key, { labels: pairs, state })
    return state
  }

  /**
   * Every series, in the order first seen.
   *
   * @example
   * for (const { labels, state } of table.entries()) lines.push(render(labels, state))
   */
  entries(): Iterable<{ readonly labels: readonly LabelPair[]; readonly state: S }> {
    return this.#series.values()
  }
}

/** A monotonically increasing count, per label set. */
export class Counter<L extends string = never> {
  readonly type = 'counter'
  readonly name: string
  readonly help: string
  readonly #table: SeriesTable<L, { value: number }>

  constructor(options: CounterOptions<L>) {
    assertMetricName(options.name)
    this.name = options.name
    this.help = options.help
    this.#table = new SeriesTable(options.labelNames, options.maxSeries ?? DEFAULT_MAX_SERIES)
  }

  /**
   * Adds `by` (default 1, never negative: a counter only goes up) to the series of `labels`.
   *
   * @example
   * logins.increment({ outcome: 'success' })
   */
  increment(labels: LabelValues<L>, by = 1): void {
    if (!(by >= 0)) throw new RangeError('a counter only increases')
    const series = this.#table.get(labels, () => ({ value: 0 }))
    if (series) series.value += by
  }

  /**
   * The current value of a series (0 when never incremented).
   *
   * @example
   * logins.valueFor({ outcome: 'failure' }) // 2
   */
  valueFor(labels: LabelValues<L>): number {
    for (const { labels: pairs, state } of this.#table.entries()) {
      if (pairs.every(([name, value]) => labels[name as L] === value)) return state.value
    }
    return 0
  }

  /**
   * The sample lines of this family.
   *
   * @example
   * counter.renderSamples() // ['tessera_signups_total 1']
   */
  renderSamples(): string[] {
    const lines: string[] = []
    for (const { labels, state } of this.#table.entries()) {
      lines.push(formatSampleLine(this.name, labels, state.value))
    }
    // A counter without labels exists from the start, so a scrape sees 0 rather than no series.
    if (lines.length === 0 && this.#table.labelNames.length === 0)
      lines.push(formatSampleLine(this.name, [], 0))
    return lines
  }
}
