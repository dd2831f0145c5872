import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { RandomSource } from '@tessera/core'
import { type IdPrefix, isId, newId } from './ids.ts'

function fixedRandom(byte: number): RandomSource {
  return { bytes: (length) => Buffer.alloc(length, byte) }
}

const PREFIXES: readonly IdPrefix[] = ['usr', 'ses', 'rt', 'key', 'cli']

describe('newId', () => {
  test('is the prefix, an underscore and 22 base64url characters of 16 random bytes', () => {
    assert.equal(newId('usr', fixedRandom(0)), 'usr_AAAAAAAAAAAAAAAAAAAAAA')
    assert.equal(newId('ses', fixedRandom(0xff)), 'ses______________________w')
    const drawn: number[] = []
    newId('rt', {
      bytes: (length) => {
        drawn.push(length)
        return Buffer.alloc(length)
      },
    })
    assert.deepEqual(drawn, [16])
  })

  test('defaults to the CSPRNG and does not repeat', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId('key')))
    assert.equal(ids.size, 1000)
    for (const id of ids) assert.ok(isId('key', id), id)
  })

  test('every prefix round-trips through isId', () => {
    for (const prefix of PREFIXES) assert.ok(isId(prefix, newId(prefix)))
  })
})

describe('isId', () => {
  const valid = newId('usr', fixedRandom(7))

  test('rejects another kind of id', () => {
    assert.equal(isId('ses', valid), false)
    assert.equal(isId('usr', valid.replace('usr_', 'ses_')), false)
  })

  test('rejects non-strings', () => {
    for (const value of [undefined, null, 42, {}, [valid], Buffer.from(valid)])
      assert.equal(isId('usr', value), false)
  })

  test('rejects wrong lengths, characters and padding', () => {
    assert.equal(isId('usr', `${valid}A`), false)
    assert.equal(isId('usr', valid.slice(0, -1)), false)
    assert.equal(isId('usr', `${valid.slice(0, -1)}=`), false)
    assert.equal(isId('usr', valid.replace('_', '-')), false)
    assert.equal(isId('usr', `${valid.slice(0, 10)}+${valid.slice(11)}`), false)
    assert.equal(isId('usr', ` ${valid}`), false)
    assert.equal(isId('usr', `${valid}\n`), false)
  })

  test('rejects a non-canonical last character (a second spelling of the same bytes)', () => {
    const canonical = newId('usr', fixedRandom(0))
    assert.ok(isId('usr', canonical))
    assert.equal(isId('usr', `${canonical.slice(0, -1)}B`), false)
  })
})
