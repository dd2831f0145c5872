import { Counter, type CounterOptions, DEFAULT_MAX_SERIES, type LabelValues } from './counter.ts'
import {
  assertLabelName,
  assertMetricName,
  escapeHelpText,
  formatSampleLine,
  type LabelPair,
} from './exposition-format.ts'
import { Histogram, type HistogramOptions } from './histogram.ts'

/** One family as the registry renders it. */
interface MetricFamily {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge' | 'histogram'
  renderSamples(): string[]
}

/** One reading of a gauge. */
export interface GaugeReading<L extends string> {
  readonly labels: LabelValues<L>
  readonly value: number
}

export interface GaugeOptions<L extends string> {
  readonly name: string
  readonly help: string
  readonly labelNames: readonly L[]
  /** Read at scrape time, so the value is never stale and nothing has to push it. */
  readonly collect: () => readonly GaugeReading<L>[]
}

/**
 * The metric families of one process, rendered in registration order as Prometheus text format 0.0.4.
 *
 * @example
 * const registry = new MetricsRegistry()
 * const signups = registry.counter({ name: 'tessera_signups_total', help: 'Accounts created.', labelNames: [] })
 * signups.increment({})
 * registry.render() // '# HELP tessera_signups_total Accounts created.\n# TYPE …'
 */
export class MetricsRegistry {
  readonly #families = new Map<string, MetricFamily>()

  /**
   * Registers a counter.
   *
   * @example
   * registry.counter({ name: 'tessera_logins_total', help: 'Password logins.', labelNames: ['outcome'] })
   */
  counter<L extends string = never>(options: CounterOptions<L>): Counter<L> {
    return this.#add(new Counter(options))
  }

  /**
   * Registers a histogram with fixed buckets.
   *
   * @example
   * registry.histogram({ name: 'x_seconds', help: 'Latency.', labelNames: [], buckets: [0.1, 1] })
   */
  histogram<L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    return this.#add(new Histogram(options))
  }

  /**
   * Registers a gauge whose readings are collected at scrape time.
   *
   * @example
   * registry.gauge({ name: 'x_subscribers', help: 'Open streams.', labelNames: [], collect: () => [{ labels: {}, value: 2 }] })
   */
  gauge<L extends string = never>(options: GaugeOptions<L>): void {
    assertMetricName(options.name)
    for (const label of options.labelNames) assertLabelName(label)
    this.#add({
      name: options.name,
      help: options.help,
      type: 'gauge',
      renderSamples: () =>
        options
          .collect()
          .slice(0, DEFAULT_MAX_SERIES)
          .map(({ labels, value }) => {
            const pairs: LabelPair[] = options.labelNames.map((name) => [name, labels[name]])
            return formatSampleLine(options.name, pairs, value)
          }),
    })
  }

  /**
   * The whole exposition: `# HELP`, `# TYPE`, then the samples of each family; ends with a line feed.
   *
   * @example
   * reply.type(EXPOSITION_CONTENT_TYPE).send(registry.render())
   */
  render(): string {
    const lines: string[] = []
    for (const family of this.#families.values()) {
      lines.push(`# HELP ${family.name} ${escapeHelpText(family.help)}`)
      lines.push(`# TYPE ${family.name} ${family.type}`)
      lines.push(...family.renderSamples())
    }
    return `${lines.join('\n')}\n`
  }

  #add<F extends MetricFamily>(family: F): F {
    if (this.#families.has(family.name)) throw new TypeError(`metric ${family.name} is registered twice`)
    this.#families.set(family.name, family)
    return family
  }
}
