import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  assertLabelName,
  assertMetricName,
  escapeHelpText,
  escapeLabelValue,
  formatSampleLine,
  formatSampleValue,
} from './exposition-format.ts'

describe('label value escaping', () => {
  test('escapes backslash, double quote and line feed, and nothing else', () => {
    assert.equal(escapeLabelValue('a\\b'), 'a\\\\b')
    assert.equal(escapeLabelValue('say "hi"'), 'say \\"hi\\"')
    assert.equal(escapeLabelValue('one\ntwo'), 'one\\ntwo')
    assert.equal(escapeLabelValue('\\"\n'), '\\\\\\"\\n')
    assert.equal(escapeLabelValue("/v1/sessions/:id {x} 'é' \t"), "/v1/sessions/:id {x} 'é' \t")
  })

  test('an escaped value cannot close the quotes and inject a label', () => {
    const line = formatSampleLine('m', [['route', 'x",admin="1']], 1)
    assert.equal(line, 'm{route="x\\",admin=\\"1"} 1')
  })

  test('help text escapes backslash and line feed but keeps quotes', () => {
    assert.equal(escapeHelpText('a\\b\n"c"'), 'a\\\\b\\n"c"')
  })
})

describe('sample lines', () => {
  test('no braces without labels; labels in the given order', () => {
    assert.equal(formatSampleLine('tessera_signups_total', [], 3), 'tessera_signups_total 3')
    assert.equal(
      formatSampleLine(
        'm',
        [
          ['method', 'GET'],
          ['status', '200'],
        ],
        0.25,
      ),
      'm{method="GET",status="200"} 0.25',
    )
  })

  test('special values use the spelling Prometheus parses', () => {
    assert.equal(formatSampleValue(Number.POSITIVE_INFINITY), '+Inf')
    assert.equal(formatSampleValue(Number.NEGATIVE_INFINITY), '-Inf')
    assert.equal(formatSampleValue(Number.NaN), 'NaN')
    assert.equal(formatSampleValue(1e-7), '1e-7')
  })
})

describe('names', () => {
  test('valid metric and label names pass', () => {
    assertMetricName('tessera_http_requests_total')
    assertMetricName('ns:sub_total')
    assertLabelName('route')
  })

  test('names the format cannot carry are refused', () => {
    assert.throws(() => assertMetricName('tessera-logins'), TypeError)
    assert.throws(() => assertMetricName('1abc'), TypeError)
    assert.throws(() => assertLabelName('__name__'), TypeError)
    assert.throws(() => assertLabelName('a:b'), TypeError)
  })
})
