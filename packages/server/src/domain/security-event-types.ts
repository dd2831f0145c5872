/**
 * The closed set of security events Tessera records (docs/security.md, "Security record"), and the details
 * each one carries. Details are flat and chosen here, field by field: there is no place in an event for a
 * token, a password, a hash or a cookie, so none can end up in the record, its API or its webhook.
 */

/** Every event type, in the order the docs list them. */
export const SECURITY_EVENT_TYPES = [
  'login_succeeded',
  'login_failed',
  'login_throttled',
  'signup',
  'refresh_reuse_detected',
  'session_revoked',
  'password_changed',
  'user_disabled',
  'key_rotated',
  'key_retired',
  'client_created',
  'oidc_linked',
  'oidc_unlinked',
  'suspicious_refresh',
] as const

export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number]

/**
 * Why a session ended: `logout`; `user` (the user ended one device); `revoke_all` (the user ended all);
 * `password_change` (the other sessions after a password change); `reuse` (refresh-token reuse, RFC 9700
 * §4.14.2); `admin` (an operator, e.g. `tessera users disable`); `token_revoked` (RFC 7009 by a client);
 * `user_barred` (a refresh of a disabled or not-before-barred user); `suspicious_refresh`; `other`.
 */
export type SessionRevocationCause =
  | 'logout'
  | 'user'
  | 'revoke_all'
  | 'password_change'
  | 'reuse'
  | 'admin'
  | 'token_revoked'
  | 'user_barred'
  | 'suspicious_refresh'
  | 'other'

/** What changed between a session's last use and a refresh (see suspicious-refresh.ts). */
export type SuspiciousChange = 'network' | 'user_agent' | 'network_and_user_agent'

/** The details of each event type. Keys are snake_case, as they appear in the API and the webhook. */
export interface SecurityEventDetails {
  readonly login_succeeded: { readonly method: 'password' | 'oidc'; readonly provider?: string }
  /**
   * `reason` is the SPEC §4 code the caller got (`invalid_credentials` for every password failure: an
   * unknown user and a wrong password are recorded alike); `detail` an OIDC failure's fixed detail code.
   */
  readonly login_failed: {
    readonly method: 'password' | 'oidc'
    readonly reason: string
    readonly provider?: string
    readonly detail?: string
  }
  /** `rule`: the throttle rule that refused the attempt (`login_per_ip`, `login_per_account`, …). */
  readonly login_throttled: { readonly rule: string }
  readonly signup: { readonly method: 'password' | 'oidc' | 'cli'; readonly provider?: string }
  readonly refresh_reuse_detected: Record<string, never>
  /** `sessions`: how many ended, when one call ended several (revoke all, password change). */
  readonly session_revoked: { readonly cause: SessionRevocationCause; readonly sessions?: number }
  readonly password_changed: { readonly other_sessions_revoked: number }
  readonly user_disabled: { readonly sessions_revoked: number }
  readonly key_rotated: {
    readonly kid: string
    readonly next_kid: string | null
    readonly trigger: 'schedule' | 'manual'
    readonly forced: boolean
  }
  /**
   * `withdrawn`: the key left the JWKS at once (`tessera keys retire` of the next key, or `--force` of a
   * retired one), so tokens it signed now fail with `unknown_key`; absent for a retirement by rotation.
   */
  readonly key_retired: { readonly kid: string; readonly withdrawn?: boolean }
  readonly client_created: { readonly name: string; readonly scopes: string }
  readonly oidc_linked: { readonly provider: string; readonly via: 'login' | 'link' }
  readonly oidc_unlinked: { readonly provider: string }
  /**
   * Networks are IPv4 /24 or IPv6 /48 prefixes and clients a coarse user-agent summary (`Firefox/Linux`):
   * enough to judge the change, not a fingerprint of the device.
   */
  readonly suspicious_refresh: {
    readonly action: 'reported' | 'revoked'
    readonly changed: SuspiciousChange
    readonly previous_network: string | null
    readonly current_network: string | null
    readonly previous_client: string | null
    readonly current_client: string | null
  }
}

/** Who and where, common to every event; each field is optional and recorded as null when absent. */
export interface SecurityEventSubject {
  readonly userId?: string | null
  readonly sessionId?: string | null
  readonly clientId?: string | null
  readonly ip?: string | null
  readonly userAgent?: string | null
}

/**
 * One event as a caller hands it to the recorder. Failed and throttled sign-ins may name the address that
 * was tried (`attemptedEmail`): the recorder keeps only a keyed pseudonym of it (`details.account`), the
 * same whether or not an account has that address.
 */
export type SecurityEventInput = {
  readonly [T in SecurityEventType]: SecurityEventSubject & {
    readonly type: T
    readonly details: SecurityEventDetails[T]
  } & (T extends 'login_failed' | 'login_throttled' ? { readonly attemptedEmail?: string } : unknown)
}[SecurityEventType]

/**
 * Whether a value names one of the event types.
 *
 * @example
 * isSecurityEventType('login_failed') // true; isSecurityEventType('drop table') // false
 */
export function isSecurityEventType(value: unknown): value is SecurityEventType {
  return typeof value === 'string' && (SECURITY_EVENT_TYPES as readonly string[]).includes(value)
}
