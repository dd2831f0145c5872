import { checkDpopKeyPair, type DpopAlgorithm, type DpopKeyPair } from './dpop-key.ts'
import type { ResolvedDpopOptions } from './dpop-prover.ts'
import type { ChannelLike, LockManagerLike } from './tab-coordinator.ts'
import { platformTimers, type Timers } from './timers.ts'

/** Seams for the cross-tab coordination; the defaults are `navigator.locks` and `BroadcastChannel`. */
export interface CrossTabOptions {
  readonly locks?: LockManagerLike
  readonly openChannel?: (name: string) => ChannelLike
}

/** The `dpop` option of {@link createClient} (RFC 9449). */
export interface DpopOptions {
  /** `ES256` (P-256, default: every WebCrypto has it) or `EdDSA` (Ed25519, where the runtime has it). */
  readonly alg?: DpopAlgorithm
  /**
   * Your own key pair instead of a generated one, e.g. to keep one key across client instances. Its
   * private key must be non-extractable (`crypto.subtle.generateKey(…, false, ['sign', 'verify'])`).
   * Without `alg`, the algorithm is the pair's.
   */
  readonly keyPair?: DpopKeyPair
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
  /**
   * Token mode only: bind the session to a key pair held by this client (DPoP, RFC 9449), so stolen tokens
   * are useless without the key, which cannot be exported. Every request to the issuer and through
   * `client.fetch` then carries a proof. `true` is `{ alg: 'ES256' }`. Cookie mode is already bound by
   * the fingerprint cookie; combining the two throws.
   */
  readonly dpop?: boolean | DpopOptions
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
  readonly dpop: ResolvedDpopOptions | undefined
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

function resolveDpop(dpop: unknown, mode: 'cookie' | 'token'): ResolvedDpopOptions | undefined {
  if (dpop === undefined || dpop === false) return undefined
  if (dpop !== true && (typeof dpop !== 'object' || dpop === null))
    throw new TypeError('tessera: dpop must be true, false or { alg?, keyPair? }')
  // Cookie mode is already bound, by the HttpOnly fingerprint cookie (SPEC §3); DPoP is the binding for
  // clients that hold their refresh token themselves.
  if (mode === 'cookie')
    throw new TypeError("tessera: dpop needs mode: 'token'; cookie mode is bound by its cookie")
  const { alg, keyPair } = (dpop === true ? {} : dpop) as { alg?: unknown; keyPair?: unknown }
  if (alg !== undefined && alg !== 'ES256' && alg !== 'EdDSA')
    throw new TypeError("tessera: dpop.alg must be 'ES256' or 'EdDSA'")
  if (keyPair === undefined) return { alg: alg ?? 'ES256', keyPair: undefined }
  return { alg: checkDpopKeyPair(keyPair, alg), keyPair: keyPair as DpopKeyPair }
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
    dpop: resolveDpop(options.dpop, mode),
  }
}
