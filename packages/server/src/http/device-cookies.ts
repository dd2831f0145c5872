import type { FastifyReply, FastifyRequest } from 'fastify'
import type { DeviceCookies } from '../domain/device-cookie.ts'
import { parseCookieHeader, serializeCookie } from './cookies.ts'

/**
 * The device cookie (domain/device-cookie.ts) on the wire: `__Host-` (RFC 6265bis §4.1.3.2: Secure,
 * Path=/, no Domain, so a sibling host cannot plant one), HttpOnly (script never sees it, so XSS cannot
 * carry it to another machine), SameSite=Strict. It outlives logout on purpose: it says "this browser has
 * signed in to this account before", not "is signed in", and it authorises nothing but its own throttle
 * bucket.
 *
 * Browser mode only. A native client sends no cookies we could rely on, and handing it a value in the
 * response body would add a field every client must store and send; native clients share the
 * per-account bucket (docs/security.md, "Abuse controls").
 */
export const DEVICE_COOKIE = '__Host-tessera-device'

/**
 * The device cookie a request carries, if any. A Cookie header we cannot parse (too large, a planted
 * duplicate of another cookie) counts as no device cookie: the login goes on, on the shared bucket.
 *
 * @example
 * const admission = await ctx.loginThrottle.admit({ ip, email, deviceCookie: readDeviceCookie(request) })
 */
export function readDeviceCookie(request: FastifyRequest): string | undefined {
  try {
    return parseCookieHeader(request.headers.cookie).get(DEVICE_COOKIE)
  } catch {
    return undefined
  }
}

/**
 * After a successful password sign-in in browser mode, gives the browser a fresh device cookie for the
 * user (a new device id each time, replacing one for another account).
 *
 * @example
 * rememberDevice(request, reply, ctx.devices, outcome.user.id)
 */
export function rememberDevice(
  request: FastifyRequest,
  reply: FastifyReply,
  devices: DeviceCookies,
  userId: string,
): void {
  if (request.clientMode !== 'browser') return
  reply.header(
    'set-cookie',
    serializeCookie({
      name: DEVICE_COOKIE,
      value: devices.issue(userId),
      path: '/',
      maxAgeSeconds: devices.maxAgeSeconds,
    }),
  )
}
