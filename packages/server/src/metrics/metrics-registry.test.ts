import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Counter } from './counter.ts'
import { Histogram } from './histogram.ts'
import { MetricsRegistry } from './metrics-registry.ts'

describe('histogram', () => {
  test('bounds are inclusive and buckets cumulative, ending in +Inf = count', () => {
    const histogram = new Histogram({
      name: 'h_seconds',
      help: 'h',
      labelNames: ['route'],
      buckets: [0.1, 1],
    })
    for (const value of [0.05, 0.1, 0.5, 1, 3]) histogram.observe({ route: '/a' }, value)
    assert.deepEqual(histogram.renderSamples(), [
      'h_seconds_bucket{route="/a",le="0.1"} 2',
      'h_seconds_bucket{route="/a",le="1"} 4',
      'h_seconds_bucket{route="/a",le="+Inf"} 5',
      'h_seconds_sum{route="/a"} 4.65',
      'h_seconds_count{route="/a"} 5',
    ])
  })

  test('each label set has its own buckets', () => {
    const histogram = new Histogram({ name: 'h', help: 'h', labelNames: ['route'], buckets: [1] })
    histogram.observe({ route: '/a' }, 0.5)
    histogram.observe({ route: '/b' }, 2)
    assert.deepEqual(histogram.renderSamples(), [
      'h_bucket{route="/a",le="1"} 1',
      'h_bucket{route="/a",le="+Inf"} 1',
      'h_sum{route="/a"} 0.5',
      'h_count{route="/a"} 1',
      'h_bucket{route="/b",le="1"} 0',
      'h_bucket{route="/b",le="+Inf"} 1',
      'h_sum{route="/b"} 2',
      'h_count{route="/b"} 1',
    ])
  })

  test('buckets must be finite and strictly increasing; le is reserved', () => {
    const make =
      (buckets: number[], labelNames: string[] = []) =>
      () =>
        new Histogram({ name: 'h', help: 'h', labelNames, buckets })
    assert.throws(make([1, 1]), TypeError)
    assert.throws(make([2, 1]), TypeError)
    assert.throws(make([1, Number.POSITIVE_INFINITY]), TypeError)
    assert.throws(make([]), TypeError)
    assert.throws(make([1], ['le']), TypeError)
  })
})

describe('counter', () => {
  test('counts per label set; an unlabelled counter shows 0 before any increment', () => {
    const plain = new Counter({ name: 'c_total', help: 'c', labelNames: [] })
    assert.deepEqual(plain.renderSamples(), ['c_total 0'])
    const labelled = new Counter({ name: 'l_total', help: 'l', labelNames: ['outcome'] })
    labelled.increment({ outcome: 'ok' })
    labelled.increment({ outcome: 'ok' }, 2)
    labelled.increment({ outcome: 'grace' })
    assert.equal(labelled.valueFor({ outcome: 'ok' }), 3)
    assert.equal(labelled.valueFor({ outcome: 'reused' }), 0)
    assert.throws(() => labelled.increment({ outcome: 'ok' }, -1), RangeError)
  })

  test('series beyond the bound are dropped, not grown', () => {
    const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['k'], maxSeries: 2 })
    for (const k of ['a', 'b', 'c', 'a']) counter.increment({ k })
    assert.deepEqual(counter.renderSamples(), ['c_total{k="a"} 2', 'c_total{k="b"} 1'])
  })
})

describe('registry', () => {
  test('renders HELP, TYPE and samples per family, in registration order, ending in a line feed', () => {
    const registry = new MetricsRegistry()
    registry.counter({ name: 'a_total', help: 'first\nline', labelNames: [] }).increment({})
    registry.gauge({
      name: 'g',
      help: 'gauge',
      labelNames: ['state'],
      collect: () => [{ labels: { state: 'running' }, value: 2 }],
    })
    assert.equal(
      registry.render(),
      '# HELP a_total first\\nline\n# TYPE a_total counter\na_total 1\n# HELP g gauge\n# TYPE g gauge\ng{state="running"} 2\n',
    )
  })

  test('a name registered twice is refused', () => {
    const registry = new MetricsRegistry()
    registry.counter({ name: 'a_total', help: 'a', labelNames: [] })
    assert.throws(() => registry.counter({ name: 'a_total', help: 'a', labelNames: [] }), TypeError)
  })
})
