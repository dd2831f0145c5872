/**
 * The `Tessera-Signature` header of security-record webhooks, in Stripe's scheme:
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The timestamp is inside the MAC, so a
 * captured delivery replayed later fails the receiver's age check; the raw body is inside it too, so the
 * receiver must verify the bytes it received before parsing them. docs/security.md shows a receiver.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** The header name (HTTP header names are case-insensitive). */
export const WEBHOOK_SIGNATURE_HEADER = 'Tessera-Signature'

/** How old a signature a receiver should still accept, by default: five minutes, as Stripe's libraries. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300

const MAX_HEADER_CHARS = 1024
const HEX_SHA256 = /^[0-9a-f]{64}$/
const UNIX_SECONDS = /^[0-9]{1,12}$/

function mac(secret: string, timestamp: number, body: string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(body, 'utf8').digest()
}

/**
 * The header value for a delivery of `body` at `timestamp` (epoch seconds).
 *
 * @example
 * signWebhookBody(secret, 1700000000, '{"id":"evt_…"}') // 't=1700000000,v1=5f0c…'
 */
export function signWebhookBody(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${mac(secret, timestamp, body).toString('hex')}`
}

/**
 * Whether `header` is a valid signature of `body` under `secret`, made at most `toleranceSeconds` from
 * `nowSeconds` (either way). Any `v1` entry may match, so a receiver keeps working while a sender rotates
 * secrets and signs with both. Compares in constant time; never throws.
 *
 * @example
 * if (!verifyWebhookSignature(secret, request.headers['tessera-signature'], rawBody, { nowSeconds: Date.now() / 1000 })) return 400
 */
export function verifyWebhookSignature(
  secret: string,
  header: unknown,
  body: string,
  options: { readonly nowSeconds: number; readonly toleranceSeconds?: number },
): boolean {
  if (typeof header !== 'string' || header.length > MAX_HEADER_CHARS) return false
  let timestamp: number | undefined
  const signatures: Buffer[] = []
  for (const part of header.split(',')) {
    const [key, value, ...rest] = part.trim().split('=')
    if (value === undefined || rest.length > 0) return false
    if (key === 't') {
      if (timestamp !== undefined || !UNIX_SECONDS.test(value)) return false
      timestamp = Number(value)
    } else if (key === 'v1' && HEX_SHA256.test(value)) {
      signatures.push(Buffer.from(value, 'hex'))
    }
  }
  if (timestamp === undefined || signatures.length === 0) return false
  const tolerance = options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS
  if (Math.abs(options.nowSeconds - timestamp) > tolerance) return false
  const expected = mac(secret, timestamp, body)
  return signatures.some((signature) => timingSafeEqual(signature, expected))
}
