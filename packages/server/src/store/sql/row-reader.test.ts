import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { StoreRowInvalidError } from '../store-errors.ts'
import { readRow } from './row-reader.ts'

function rejects(read: () => unknown, column: string): void {
  assert.throws(read, (error: unknown) => {
    assert.ok(error instanceof StoreRowInvalidError)
    assert.equal(error.code, 'store_row_invalid')
    assert.ok(error.message.startsWith(`${column}: expected `), error.message)
    return true
  })
}

describe('readRow', () => {
  test('instants accept safe integers and their decimal strings (PostgreSQL bigint)', () => {
    const r = readRow('t', { a: 1_700_000_000, b: '1700000000', c: '-5', d: 0, e: '0' })
    assert.deepEqual(
      ['a', 'b', 'c', 'd', 'e'].map((column) => r.instant(column)),
      [1_700_000_000, 1_700_000_000, -5, 0, 0],
    )
  })

  test('instants reject fractions, unsafe integers, odd strings and other types', () => {
    const bad = {
      fraction: 1.5,
      unsafe: 2 ** 53,
      unsafeText: '9007199254740993',
      padded: ' 17',
      leadingZero: '017',
      exponent: '1e9',
      empty: '',
      nan: Number.NaN,
      big: 10n,
      flag: true,
      nothing: null,
    }
    const r = readRow('t', bad)
    for (const column of Object.keys(bad)) rejects(() => r.instant(column), `t.${column}`)
    rejects(() => r.instant('missing'), 't.missing')
  })

  test('nullable columns accept null and nothing else that is out of type', () => {
    const r = readRow('t', { at: null, text: null, badAt: 'soon', badText: 7 })
    assert.equal(r.nullableInstant('at'), null)
    assert.equal(r.nullableText('text'), null)
    rejects(() => r.nullableInstant('badAt'), 't.badAt')
    rejects(() => r.nullableText('badText'), 't.badText')
    rejects(() => r.nullableText('missing'), 't.missing')
  })

  test('text is a string, never a coerced number or buffer', () => {
    const r = readRow('t', { s: 'x', n: 1, b: Buffer.from('x'), empty: '' })
    assert.equal(r.text('s'), 'x')
    assert.equal(r.text('empty'), '')
    rejects(() => r.text('n'), 't.n')
    rejects(() => r.text('b'), 't.b')
  })

  test('flags are exactly 0 or 1', () => {
    const r = readRow('t', { off: 0, on: 1, two: 2, text: '1', bool: true })
    assert.deepEqual([r.flag('off'), r.flag('on')], [false, true])
    for (const column of ['two', 'text', 'bool']) rejects(() => r.flag(column), `t.${column}`)
  })

  test('enums accept only the listed values, case included', () => {
    const r = readRow('t', { ok: 'active', upper: 'ACTIVE', other: 'paused', number: 1 })
    assert.equal(r.oneOf('ok', ['active', 'revoked']), 'active')
    for (const column of ['upper', 'other', 'number'])
      rejects(() => r.oneOf(column, ['active', 'revoked']), `t.${column}`)
  })

  test('inherited properties are not columns', () => {
    const r = readRow('t', Object.create({ inherited: 'x' }) as object)
    rejects(() => r.text('inherited'), 't.inherited')
    rejects(() => r.text('toString'), 't.toString')
  })

  test('a row that is not an object is rejected', () => {
    for (const row of [null, undefined, 'row', 3]) rejects(() => readRow('t', row), 't')
  })

  test('the message names the column but never the value', () => {
    const secret = 'a'.repeat(64)
    assert.throws(
      () => readRow('refresh_tokens', { state: secret }).oneOf('state', ['active']),
      (error: unknown) => error instanceof Error && !error.message.includes(secret),
    )
  })
})
