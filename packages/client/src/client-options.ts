import type { ChannelLike, LockManagerLike } from './tab-coordinator.ts'
import { platformTimers, type Timers } from './timers.ts'

/** Seams for the cross-tab coordination; the defaults are `navigator.locks` and `BroadcastChannel`. */
export interface CrossTabOptions {
  readonly locks?: LockManagerLike
  readonly openChannel?: (name: string) => ChannelLike
}

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The auth server, e.g. `https://auth.example.com`. */
  readonly issuer: string
  /**
   * `cookie` (default where `document` exists): the refresh token stays in the server's HttpOnly cookie.
   * `token` (default elsewhere, e.g. Node): the refresh token comes in the body and is kept in memory.
   */
  readonly mode?: 'cookie' | 'token'
  /** The fetch to use (default: the global one). */
  readonly fetch?: typeof fetch
  /** Refresh this many seconds before `exp` (default 30; capped at half the token's lifetime). */
  readonly refreshLeewaySeconds?: number
  /** Per request to the issuer (default 10 s); a timeout is a retryable `network` failure. */
  readonly requestTimeoutMs?: number
  /**
   * Not supported, on purpose: tokens live in memory only, where an injected script cannot read them back
   * from storage after a reload. Passing anything is a type error and throws.
   */
  readonly storage?: never
  /** Cross-tab seams (cookie mode); `false` turns coordination off. */
  readonly crossTab?: CrossTabOptions | false
  /** Timer seam of the proactive refresh, for tests (default: the platform's, `unref`ed in Node). */
  readonly timers?: Timers
}

/** The options after defaults and checks. */
export interface ResolvedClientOptions {
  readonly issuer: string
  readonly issuerOrigin: string
  readonly mode: 'cookie' | 'token'
  readonly fetch: typeof fetch
  readonly leewaySeconds: number
  readonly requestTimeoutMs: number
  readonly timers: Timers
  readonly locks: LockManagerLike | undefined
  readonly openChannel: ((name: string) => ChannelLike) | undefined
}

function detectLocks(): LockManagerLike | undefined {
  const navigatorLike = (globalThis as { navigator?: { locks?: unknown } }).navigator
  const locks = navigatorLike?.locks
  if (typeof locks !== 'object' || locks === null || !('request' in locks)) return undefined
  return typeof locks.request === 'function' ? (locks as LockManagerLike) : undefined
}

function detectChannel(): ((name: string) => ChannelLike) | undefined {
  const Channel = (globalThis as unknown as { BroadcastChannel?: new (name: string) => ChannelLike })
    .BroadcastChannel
  if (typeof Channel !== 'function') return undefined
  return (name) => {
    const channel = new Channel(name) as ChannelLike & { unref?: () => void }
    // Node's BroadcastChannel holds the event loop open; a client must not keep a process alive.
    channel.unref?.()
    return channel
  }
}

function parseIssuer(issuer: unknown): URL {
  let url: URL
  try {
    url = new URL(String(issuer))
  } catch {
    throw new TypeError('tessera: issuer must be an absolute URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new TypeError('tessera: issuer must be an http(s) URL')
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '')
    throw new TypeError('tessera: issuer must not carry a query, fragment or credentials')
  return url
}

/**
 * Applies the defaults and rejects what cannot work, before any request is made.
 *
 * @example
 * const resolved = resolveClientOptions({ issuer: 'https://auth.example.com/' })
 * resolved.issuer // 'https://auth.example.com'
 */
export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  if ((options as { storage?: unknown }).storage !== undefined)
    throw new TypeError('tessera: tokens are kept in memory only; there is no storage option')
  const url = parseIssuer(options.issuer)
  const mode = options.mode ?? ('document' in globalThis ? 'cookie' : 'token')
  if (mode !== 'cookie' && mode !== 'token') throw new TypeError("tessera: mode must be 'cookie' or 'token'")
  const leewaySeconds = options.refreshLeewaySeconds ?? 30
  if (!Number.isFinite(leewaySeconds) || leewaySeconds < 0)
    throw new RangeError('tessera: refreshLeewaySeconds must be a number ≥ 0')
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000
  if (!Number.isFinite(requestTimeoutMs) || requestTimeoutMs < 1)
    throw new RangeError('tessera: requestTimeoutMs must be a number ≥ 1')
  // Only cookie mode shares a session between tabs (the cookie jar is shared); token-mode tabs each hold
  // their own refresh token, so there is nothing to coordinate.
  const crossTab = mode === 'cookie' && options.crossTab !== false ? (options.crossTab ?? {}) : undefined
  return {
    issuer: url.href.replace(/\/+$/, ''),
    issuerOrigin: url.origin,
    mode,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    leewaySeconds,
    requestTimeoutMs,
    timers: options.timers ?? platformTimers,
    locks: crossTab ? (crossTab.locks ?? detectLocks()) : undefined,
    openChannel: crossTab ? (crossTab.openChannel ?? detectChannel()) : undefined,
  }
}
