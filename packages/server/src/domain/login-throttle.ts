import type { DeviceCookies, KnownDevice } from './device-cookie.ts'
import { normalizeEmail } from './email.ts'
import type { Throttle, ThrottleDecision, ThrottleRule } from './throttle.ts'

/**
 * Who may try a password right now (SPEC §3: 429 + Retry-After; OWASP Authentication Cheat Sheet,
 * "Protect against automated attacks"). Four buckets, in this order:
 * 1. per client IP, every attempt (`X-Forwarded-For` only through trusted proxies — the caller's `ip`);
 * 2. global failures, all accounts and IPs: a circuit breaker against credential stuffing, which spreads
 *    its guesses so thinly over accounts and addresses that no other bucket fills;
 * 3. per account, whatever the IP — rotating addresses buys nothing — **or**, for a browser holding a valid
 *    device cookie for that very account, per (account, device). The shared bucket can be drained by anyone
 *    who knows the email; the device bucket only by the device itself, so lockout is not a weapon against
 *    a user on their own browser. Known devices skip the global breaker for the same reason: a stuffing
 *    run must not keep returning users out. They still count against their IP.
 *
 * The account (or device) bucket is consumed before the password is checked and reset after a success.
 * Checking first and counting only failures would let a burst of concurrent guesses all pass the check
 * before any failure is counted (up to the hash queue's length instead of the limit). The global bucket
 * counts failures only, so a busy server's successful logins never trip it; its check is a peek, so a
 * concurrent burst can overshoot it by at most the hash queue's length, which a breaker tolerates.
 */
export interface LoginThrottleRules {
  readonly perIp: ThrottleRule
  /** Failures per account, and per (account, known device). */
  readonly perAccount: ThrottleRule
  readonly globalFailures: ThrottleRule
}

export type LoginThrottleRuleName = 'login_per_ip' | 'login_global' | 'login_per_account' | 'login_per_device'

export interface LoginAttempt {
  /** The client address as the HTTP layer determined it. */
  readonly ip: string
  /** The email as sent; normalised here as accounts normalise it. */
  readonly email: string
  /** The device cookie's value, if the request carried one. */
  readonly deviceCookie: string | undefined
}

/** What `admit` hands back for `recordFailure` / `recordSuccess`. */
export interface LoginTicket {
  readonly bucketKey: string
  /** Whether the attempt counted on its own device's bucket. */
  readonly isKnownDevice: boolean
}

export type LoginAdmission =
  | { readonly ok: true; readonly ticket: LoginTicket }
  | { readonly ok: false; readonly rule: LoginThrottleRuleName; readonly retryAfterSeconds: number }

export interface LoginThrottle {
  /** Counts the attempt against its IP and its account or device; refused when any bucket is empty. */
  admit(attempt: LoginAttempt): Promise<LoginAdmission>
  /** The password was wrong (or the account unusable): counts towards the global breaker. */
  recordFailure(ticket: LoginTicket): Promise<void>
  /** Signed in: the account's (or device's) bucket starts afresh. */
  recordSuccess(ticket: LoginTicket): Promise<void>
}

export interface LoginThrottleDeps {
  readonly throttle: Throttle
  readonly rules: LoginThrottleRules
  readonly devices: DeviceCookies
  /** The id of the user with this normalised email: a device cookie counts only for its own account. */
  readonly findUserIdByEmail: (email: string) => Promise<string | undefined>
}

const GLOBAL_FAILURES_KEY = 'login:global-failures'

function refused(rule: LoginThrottleRuleName, decision: ThrottleDecision): LoginAdmission {
  return { ok: false, rule, retryAfterSeconds: Math.max(1, decision.retryAfterSeconds) }
}

/**
 * Builds the login throttle over the throttle port (memory, or Redis shared by every instance).
 *
 * @example
 * const admission = await loginThrottle.admit({ ip: request.ip, email, deviceCookie })
 * if (!admission.ok) throw reject('rate_limited', { retryAfterSeconds: admission.retryAfterSeconds })
 * const outcome = await accounts.authenticate({ email, password })
 * await (outcome.ok ? loginThrottle.recordSuccess(admission.ticket) : loginThrottle.recordFailure(admission.ticket))
 */
export function createLoginThrottle(deps: LoginThrottleDeps): LoginThrottle {
  const { throttle, rules } = deps

  async function knownDeviceFor(
    email: string | undefined,
    cookie: string | undefined,
  ): Promise<KnownDevice | undefined> {
    const device = deps.devices.verify(cookie)
    if (device === undefined || email === undefined) return undefined
    // A cookie of the attacker's own account must not buy a fresh bucket for the victim's.
    return (await deps.findUserIdByEmail(email)) === device.userId ? device : undefined
  }

  return Object.freeze({
    async admit(attempt: LoginAttempt): Promise<LoginAdmission> {
      const perIp = await throttle.consume(`login:ip:${attempt.ip}`, rules.perIp)
      if (!perIp.allowed) return refused('login_per_ip', perIp)
      const normalized = normalizeEmail(attempt.email)
      const email = normalized.ok ? normalized.email : undefined
      const device = await knownDeviceFor(email, attempt.deviceCookie)
      if (device === undefined) {
        const global = await throttle.peek(GLOBAL_FAILURES_KEY, rules.globalFailures)
        if (!global.allowed) return refused('login_global', global)
      }
      const bucketKey =
        device === undefined
          ? `login:account:${email ?? attempt.email.trim().toLowerCase()}`
          : `login:device:${device.userId}:${device.deviceId}`
      const bucket = await throttle.consume(bucketKey, rules.perAccount)
      if (!bucket.allowed)
        return refused(device === undefined ? 'login_per_account' : 'login_per_device', bucket)
      return { ok: true, ticket: Object.freeze({ bucketKey, isKnownDevice: device !== undefined }) }
    },
    async recordFailure(): Promise<void> {
      await throttle.consume(GLOBAL_FAILURES_KEY, rules.globalFailures)
    },
    async recordSuccess(ticket: LoginTicket): Promise<void> {
      // Only the bucket this attempt used: a victim signing in on their device must not refill the shared
      // bucket for whoever is guessing from elsewhere.
      await throttle.reset(ticket.bucketKey)
    },
  })
}
