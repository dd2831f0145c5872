import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cryptoRandom } from './random.ts'

test('draws have the asked length, small and large, and zero is allowed', () => {
  for (const length of [0, 1, 16, 32, 256, 257, 10_000])
    assert.equal(cryptoRandom.bytes(length).length, length)
  assert.throws(() => cryptoRandom.bytes(-1), RangeError)
  assert.throws(() => cryptoRandom.bytes(1.5), RangeError)
})

test('no two draws share bytes: 20,000 draws of 16 bytes across several pool refills are all distinct', () => {
  const seen = new Set<string>()
  for (let draw = 0; draw < 20_000; draw += 1) seen.add(cryptoRandom.bytes(16).toString('hex'))
  assert.equal(seen.size, 20_000)
})

test('a drawn buffer is the caller’s own: later draws do not change it', () => {
  const kept = cryptoRandom.bytes(32)
  const copy = Buffer.from(kept)
  for (let draw = 0; draw < 1000; draw += 1) cryptoRandom.bytes(32)
  assert.deepEqual(kept, copy)
  assert.equal(kept.byteOffset, 0, 'a draw owns its memory, it is no slice of a shared slab')
})

test('the bytes look uniform: each bit of 64 KiB is set about half the time', () => {
  const sample = cryptoRandom.bytes(65_536)
  let ones = 0
  for (const byte of sample) for (let bit = 0; bit < 8; bit += 1) ones += (byte >> bit) & 1
  const share = ones / (sample.length * 8)
  assert.ok(share > 0.49 && share < 0.51, `share of ones ${share}`)
})
