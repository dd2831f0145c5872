import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createManualClock } from '@tessera/core'
import { createDeviceCookies, DEFAULT_DEVICE_COOKIE_MAX_AGE_SECONDS } from './device-cookie.ts'
import { newId } from './ids.ts'

const START_AT = 1_700_000_000
const key = Buffer.alloc(32, 7)
const userId = newId('usr')

function setup() {
  const clock = createManualClock(START_AT)
  return { clock, devices: createDeviceCookies({ key, clock }) }
}

/** Replaces one dot-separated field of a value. */
function withField(value: string, index: number, replacement: string): string {
  const parts = value.split('.')
  parts[index] = replacement
  return parts.join('.')
}

/** The same text with its last character changed. */
function flipLast(text: string): string {
  return `${text.slice(0, -1)}${text.endsWith('A') ? 'B' : 'A'}`
}

describe('device cookies', () => {
  test('a value issued for a user verifies to that user, with a fresh random device id each time', () => {
    const { devices } = setup()
    const first = devices.issue(userId)
    const second = devices.issue(userId)
    assert.match(first, /^v1\.usr_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}\.1700000000\.[A-Za-z0-9_-]{43}$/)
    const device = devices.verify(first)
    assert.deepEqual({ ...device }, { userId, deviceId: first.split('.')[2], issuedAt: START_AT })
    assert.notEqual(devices.verify(second)?.deviceId, device?.deviceId)
  })

  test('any changed field, another key, or garbage verifies to nothing', () => {
    const { clock, devices } = setup()
    const value = devices.issue(userId)
    const otherUser = newId('usr')
    const tampered = [
      withField(value, 0, 'v2'),
      withField(value, 1, otherUser),
      withField(value, 2, newId('usr').slice(4)),
      withField(value, 3, String(START_AT + 1)),
      withField(value, 4, flipLast(value.split('.')[4] ?? '')),
      `${value}.extra`,
      value.split('.').slice(0, 4).join('.'),
      ` ${value}`,
      '',
      'v1....',
      'x'.repeat(10_000),
    ]
    for (const candidate of tampered)
      assert.equal(devices.verify(candidate), undefined, candidate.slice(0, 80))
    assert.equal(devices.verify(undefined), undefined)
    const otherKey = createDeviceCookies({ key: Buffer.alloc(32, 8), clock })
    assert.equal(otherKey.verify(value), undefined)
  })

  test('expires after maxAgeSeconds and refuses values from the future beyond a minute', () => {
    const { clock, devices } = setup()
    const value = devices.issue(userId)
    assert.equal(devices.maxAgeSeconds, DEFAULT_DEVICE_COOKIE_MAX_AGE_SECONDS)
    clock.advance(DEFAULT_DEVICE_COOKIE_MAX_AGE_SECONDS - 1)
    assert.ok(devices.verify(value))
    clock.advance(1)
    assert.equal(devices.verify(value), undefined)
    const past = createManualClock(START_AT - 61)
    assert.equal(createDeviceCookies({ key, clock: past }).verify(value), undefined)
    const slightlyBehind = createManualClock(START_AT - 60)
    assert.ok(createDeviceCookies({ key, clock: slightlyBehind }).verify(value))
  })

  test('refuses a short key, a bad lifetime and a non-user id at issue', () => {
    const clock = createManualClock(START_AT)
    assert.throws(() => createDeviceCookies({ key: Buffer.alloc(16), clock }), /at least 32 bytes/)
    assert.throws(() => createDeviceCookies({ key, clock, maxAgeSeconds: 0 }), /positive integer/)
    assert.throws(() => createDeviceCookies({ key, clock }).issue('ses_x'), /not a user id/)
  })
})
