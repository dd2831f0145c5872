/**
 * The suspicious-refresh control (setting `suspiciousRefresh`): a refresh from another network (IPv4 /24,
 * IPv6 /48) or another kind of client (browser and system) than the session's last use is the trace a
 * stolen refresh token leaves when the thief uses it first, before reuse detection can fire (RFC 9700
 * §4.14.2 only catches the second party to present a rotated token). `report` records the change,
 * `revoke` also ends the session (the refresh answers `session_revoked`), `allow` looks at nothing.
 *
 * Both signals are coarse on purpose: a phone moving between Wi-Fi and mobile data changes network, and a
 * browser update changes its version, so `report` is the default and `revoke` is for deployments that
 * prefer a re-login to a doubt.
 */
import { isIPv4, isIPv6 } from 'node:net'
import type { SessionRecord, SessionUse } from '../store/ports.ts'
import type { SuspiciousChange } from './security-event-types.ts'
import { announceSessionRevoked, type ClientContext, type SessionDeps } from './sessions.ts'

export type SuspiciousRefreshMode = 'allow' | 'report' | 'revoke'

/** A change between two uses, as the `suspicious_refresh` event records it. */
export interface UseChange {
  readonly changed: SuspiciousChange
  readonly previous_network: string | null
  readonly current_network: string | null
  readonly previous_client: string | null
  readonly current_client: string | null
}

function ipv6Groups(ip: string): number[] | undefined {
  let text = ip
  const lastColon = text.lastIndexOf(':')
  const tail = text.slice(lastColon + 1)
  if (tail.includes('.')) {
    // An embedded IPv4 tail (`::ffff:192.0.2.1`, `64:ff9b::192.0.2.1`) is the last two groups.
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number)
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const halves = text.split('::')
  const parse = (part: string | undefined): number[] =>
    part === undefined || part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16))
  const head = parse(halves[0])
  const rest = parse(halves[1])
  const gap = halves.length === 2 ? 8 - head.length - rest.length : 0
  const groups = [...head, ...new Array<number>(gap).fill(0), ...rest]
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)
    ? groups
    : undefined
}

/**
 * The network a client address belongs to, as far as this control cares: its IPv4 /24 or IPv6 /48
 * (an IPv4-mapped IPv6 address counts as IPv4). Null for no or an unparseable address.
 *
 * @example
 * networkOf('203.0.113.77') // '203.0.113.0/24'
 * networkOf('2001:db8:1234:5::1') // '2001:db8:1234::/48'
 */
export function networkOf(ip: string | null): string | null {
  if (ip === null) return null
  const address = ip.split('%')[0] ?? ''
  if (isIPv4(address)) return `${address.split('.').slice(0, 3).join('.')}.0/24`
  if (!isIPv6(address)) return null
  const groups = ipv6Groups(address)
  if (groups === undefined) return null
  const isMappedIpv4 = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff
  if (isMappedIpv4) {
    const [hi = 0, lo = 0] = groups.slice(6)
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.0/24`
  }
  return `${groups
    .slice(0, 3)
    .map((g) => g.toString(16))
    .join(':')}::/48`
}

// Order matters: Edge and Opera also say Chrome, Chrome also says Safari, iOS also says Mac OS X, and
// Android also says Linux.
const BROWSERS: readonly (readonly [RegExp, string])[] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\b(?:OPR|Opera)\//, 'Opera'],
  [/\b(?:Firefox|FxiOS)\//, 'Firefox'],
  [/\b(?:Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
]
const SYSTEMS: readonly (readonly [RegExp, string])[] = [
  [/Windows/, 'Windows'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Android/, 'Android'],
  [/Macintosh|Mac OS X/, 'macOS'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
]
const PRODUCT = /^([A-Za-z][A-Za-z0-9._-]{0,31})/

/**
 * A coarse summary of a user agent, `<browser or product>/<system>`, without versions: a browser that
 * updates itself keeps its summary; a different browser or device does not. Null for no user agent.
 *
 * @example
 * summarizeUserAgent('Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0') // 'Firefox/Linux'
 * summarizeUserAgent('okhttp/4.12.0') // 'okhttp/unknown'
 */
export function summarizeUserAgent(userAgent: string | null): string | null {
  if (userAgent === null || userAgent.trim() === '') return null
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1]
  const product = browser ?? PRODUCT.exec(userAgent.trim())?.[1] ?? 'unknown'
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1] ?? 'unknown'
  return `${product}/${system}`
}

/**
 * What changed between the session's last use and this one, or undefined when nothing did. A side with
 * no address (or no user agent) says nothing about that signal, so it never counts as a change.
 *
 * @example
 * detectUseChange({ ip: '198.51.100.4', userAgent: ua }, { ip: '203.0.113.9', userAgent: ua })?.changed // 'network'
 */
export function detectUseChange(previous: SessionUse, current: SessionUse): UseChange | undefined {
  const previousNetwork = networkOf(previous.ip)
  const currentNetwork = networkOf(current.ip)
  const previousClient = summarizeUserAgent(previous.userAgent)
  const currentClient = summarizeUserAgent(current.userAgent)
  const isNetworkChanged =
    previousNetwork !== null && currentNetwork !== null && previousNetwork !== currentNetwork
  const isClientChanged =
    previousClient !== null && currentClient !== null && previousClient !== currentClient
  if (!isNetworkChanged && !isClientChanged) return undefined
  return {
    changed:
      isNetworkChanged && isClientChanged
        ? 'network_and_user_agent'
        : isNetworkChanged
          ? 'network'
          : 'user_agent',
    previous_network: previousNetwork,
    current_network: currentNetwork,
    previous_client: previousClient,
    current_client: currentClient,
  }
}

/**
 * Applies the policy to a refresh that succeeded: records a change (`report`), or records it, revokes
 * the session and tells the guards (`revoke`). Resolves `revoked` when the caller must refuse the refresh
 * with `session_revoked`, else `continue`.
 *
 * @example
 * if ((await checkSuspiciousRefresh(deps, { session, previous, context, now })) === 'revoked') return refusal
 */
export async function checkSuspiciousRefresh(
  deps: SessionDeps,
  input: {
    readonly session: SessionRecord
    readonly previous: SessionUse | undefined
    readonly context: ClientContext
    readonly now: number
  },
): Promise<'continue' | 'revoked'> {
  const mode = deps.suspiciousRefresh ?? 'allow'
  const recorder = deps.securityRecord
  const { session, previous, context, now } = input
  if (mode === 'allow' || recorder === undefined || previous === undefined) return 'continue'
  const change = detectUseChange(previous, context)
  if (change === undefined) return 'continue'
  const subject = {
    userId: session.userId,
    sessionId: session.id,
    clientId: session.clientId,
    ip: context.ip,
    userAgent: context.userAgent,
  }
  if (mode === 'report') {
    await recorder.record({
      ...subject,
      type: 'suspicious_refresh',
      details: { action: 'reported', ...change },
    })
    return 'continue'
  }
  const isRevokedNow = await deps.store.sessions.revoke(session.id, { at: now, reason: 'suspicious_refresh' })
  if (isRevokedNow) announceSessionRevoked(deps, session, now)
  await recorder.record({ ...subject, type: 'suspicious_refresh', details: { action: 'revoked', ...change } })
  if (isRevokedNow) {
    await recorder.record({ ...subject, type: 'session_revoked', details: { cause: 'suspicious_refresh' } })
  }
  return 'revoked'
}
