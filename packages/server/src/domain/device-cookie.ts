import { createHmac, timingSafeEqual } from 'node:crypto'
import { type Clock, cryptoRandom, type RandomSource } from '@tessera/core'
import { isId } from './ids.ts'

/**
 * The value of a device cookie (OWASP "Slow down online guessing attacks with device cookies"): proof that
 * this browser signed in to one account before. A login that presents a valid one for the account it
 * tries is throttled on its own per-(account, device) bucket instead of the shared per-account one, so
 * somebody guessing the victim's password from elsewhere cannot keep the victim's own browser out.
 *
 * `v1.<user id>.<device id>.<issued at>.<tag>`: the device id is 128 random bits, the tag is
 * HMAC-SHA256 under a key derived from the server secret, so every instance can check a cookie without a
 * store and nobody without the secret can make one. Nothing is stored server-side: a cookie can only give
 * its holder a bucket of their own for the one account it names, which is what it is for.
 */
export interface KnownDevice {
  readonly userId: string
  readonly deviceId: string
  readonly issuedAt: number
}

export interface DeviceCookies {
  /** How long an issued value is accepted; also the cookie's Max-Age. */
  readonly maxAgeSeconds: number
  /** A fresh value for a browser that has just signed in to `userId` (a new device id every time). */
  issue(userId: string): string
  /** The device a value proves, or undefined when it is absent, malformed, forged, expired or from the future. */
  verify(value: string | undefined): KnownDevice | undefined
}

export interface DeviceCookieOptions {
  /** At least 32 bytes; derived from the server secret (`deriveServerKeys().deviceCookie`). */
  readonly key: Buffer
  readonly clock: Clock
  readonly random?: RandomSource
  readonly maxAgeSeconds?: number
}

/**
 * 180 days: twice the default absolute session lifetime, so a browser that signs in again whenever its
 * session ends keeps its own bucket; each sign-in issues a new value with a new clock.
 */
export const DEFAULT_DEVICE_COOKIE_MAX_AGE_SECONDS = 180 * 86_400
const VERSION = 'v1'
const DEVICE_ID_BYTES = 16
const MAX_VALUE_LENGTH = 160
const DEVICE_ID = /^[A-Za-z0-9_-]{21}[AQgw]$/
const ISSUED_AT = /^[1-9][0-9]{0,11}$/
const TAG = /^[A-Za-z0-9_-]{43}$/
/** A value issued by an instance whose clock runs a little ahead is still accepted. */
const FUTURE_LEEWAY_SECONDS = 60

/**
 * Issues and checks device-cookie values under one key.
 *
 * @example
 * const devices = createDeviceCookies({ key: derived.deviceCookie, clock: systemClock })
 * const value = devices.issue(user.id)
 * devices.verify(value)?.userId === user.id // true
 */
export function createDeviceCookies(options: DeviceCookieOptions): DeviceCookies {
  if (options.key.length < 32) throw new TypeError('the device cookie key must be at least 32 bytes')
  const random = options.random ?? cryptoRandom
  const maxAgeSeconds = options.maxAgeSeconds ?? DEFAULT_DEVICE_COOKIE_MAX_AGE_SECONDS
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 1) {
    throw new TypeError('maxAgeSeconds must be a positive integer')
  }

  // The version and separators are inside the MAC input, so no field can be shifted into another.
  const tagOf = (userId: string, deviceId: string, issuedAt: string): string =>
    createHmac('sha256', options.key)
      .update(`tessera-device-cookie ${VERSION}\n${userId}\n${deviceId}\n${issuedAt}`)
      .digest('base64url')

  return Object.freeze({
    maxAgeSeconds,
    issue(userId: string): string {
      if (!isId('usr', userId)) throw new TypeError('not a user id')
      const deviceId = random.bytes(DEVICE_ID_BYTES).toString('base64url')
      const issuedAt = String(options.clock.nowSeconds())
      return [VERSION, userId, deviceId, issuedAt, tagOf(userId, deviceId, issuedAt)].join('.')
    },
    verify(value: string | undefined): KnownDevice | undefined {
      if (value === undefined || value.length > MAX_VALUE_LENGTH) return undefined
      const parts = value.split('.')
      if (parts.length !== 5) return undefined
      const [version = '', userId = '', deviceId = '', issuedAtText = '', tag = ''] = parts
      if (version !== VERSION || !isId('usr', userId) || !DEVICE_ID.test(deviceId)) return undefined
      if (!ISSUED_AT.test(issuedAtText) || !TAG.test(tag)) return undefined
      const expected = Buffer.from(tagOf(userId, deviceId, issuedAtText))
      if (!timingSafeEqual(expected, Buffer.from(tag))) return undefined
      const issuedAt = Number(issuedAtText)
      const nowAt = options.clock.nowSeconds()
      if (issuedAt > nowAt + FUTURE_LEEWAY_SECONDS || nowAt - issuedAt >= maxAgeSeconds) return undefined
      return Object.freeze({ userId, deviceId, issuedAt })
    },
  })
}
