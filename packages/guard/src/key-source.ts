import {
  type AccessTokenAlgorithm,
  type Clock,
  isJsonObject,
  type KeyResolver,
  type VerificationKey,
} from '@tessera/core'
import { type FetchJsonOptions, fetchJson, IssuerCallError } from './fetch-json.ts'
import { GuardError, UNAVAILABLE_RETRY_AFTER_SECONDS } from './guard-errors.ts'
import { metadataUrlFor } from './issuer-endpoints.ts'
import { importKeySet } from './key-set.ts'

/** Where the guard's verification keys come from: a fixed set, or the issuer's JWKS. */
export interface KeySource {
  /** Synchronous lookup by the header's `kid`; never fetches, and never anything the token names. */
  readonly resolve: KeyResolver
  /** `undefined` once keys are loaded; otherwise a wait for the first load that rejects 503 if it fails. */
  whenReady(): Promise<void> | undefined
  /** After an unknown `kid`: refetch unless the cooldown forbids it; true when keys were (re)loaded meanwhile. */
  refetchForUnknownKey(): Promise<boolean>
  /**
   * The issuer announced a key-ring change (Redis event stream): refetch about a second from now, whatever
   * the cooldown, so the instances have reloaded their rings before the guard asks one of them.
   */
  refreshSoon(): void
  health(): KeySourceHealth
  close(): void
}

export interface KeySourceHealth {
  readonly count: number
  /** The `kid` of every key held, to check which keys a guard can verify with. */
  readonly kids: readonly string[]
  /** Epoch seconds of the last successful JWKS fetch; `undefined` for a fixed set or before the first. */
  readonly lastFetchAt: number | undefined
}

export interface RemoteKeySourceOptions {
  readonly issuer: string
  readonly algorithms: readonly AccessTokenAlgorithm[]
  readonly clock: Clock
  readonly cooldownSeconds: number
  readonly refreshSeconds: number
  readonly timeoutMs: number
}

const maxDocumentBytes = 1 << 20
// Until the first keys arrive the guard can verify nothing; retry sooner than the cooldown, so an API that
// starts before its auth server does not refuse everything for a full cooldown.
const firstLoadRetrySeconds = 5
/** Delay of a notice-driven refetch: instances reload their rings on the same notice, within milliseconds. */
const noticeDelayMs = 1000
const notReady = (): GuardError =>
  new GuardError('unknown_key', {
    message: 'The signing keys of the issuer are not available',
    retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
  })

/**
 * A fixed key set (`createGuard({ jwks })`): imported once, never fetched. Throws a `TypeError` at startup
 * when no key in it is usable.
 *
 * @example
 * const source = createFixedKeySource({ keys: [exportPublicJwk(key)] }, ['EdDSA'])
 */
export function createFixedKeySource(
  jwks: { readonly keys: readonly unknown[] },
  algorithms: readonly AccessTokenAlgorithm[],
): KeySource {
  const { keys } = importKeySet(jwks, algorithms)
  if (keys.size === 0)
    throw new TypeError('guard option jwks has no usable key (each needs a kid and an accepted alg)')
  return {
    resolve: (header) => (header.kid === undefined ? undefined : keys.get(header.kid)),
    whenReady: () => undefined,
    refetchForUnknownKey: () => Promise.resolve(false),
    refreshSoon: () => undefined,
    health: () => ({ count: keys.size, kids: [...keys.keys()], lastFetchAt: undefined }),
    close: () => undefined,
  }
}

/**
 * The issuer's keys: metadata (RFC 8414, whose `issuer` must equal ours exactly, §3.3) names `jwks_uri`, the
 * JWKS is fetched from there with a timeout and a 1 MiB bound, and each key goes through core's strict
 * import. Fetches start at once, then happen at most once per cooldown — whether asked for by an unknown
 * `kid`, by the periodic refresh (checked lazily on use, so an idle guard holds no timer) or by a retry —
 * so a flood of made-up `kid`s costs at most one fetch per cooldown. A failed fetch keeps the old keys.
 *
 * @example
 * const source = createRemoteKeySource({ issuer, algorithms: ['EdDSA'], clock, cooldownSeconds: 30,
 *   refreshSeconds: 300, timeoutMs: 5000 })
 */
export function createRemoteKeySource(options: RemoteKeySourceOptions): KeySource {
  let keys: ReadonlyMap<string, VerificationKey> = new Map()
  let jwksUrl: string | undefined
  let lastFetchAt: number | undefined
  let lastAttemptAt: number | undefined
  let inFlight: Promise<void> | undefined
  const closing = new AbortController()
  let noticeTimer: NodeJS.Timeout | undefined

  const load = async (): Promise<void> => {
    try {
      jwksUrl ??= await discoverJwksUrl(options, closing.signal)
      const document = await fetchJson(jwksUrl, fetchOptions(options, closing.signal))
      const imported = importKeySet(document, options.algorithms)
      // An answer with no usable key is an anomaly, not a rotation: keep verifying with what we have.
      if (imported.keys.size === 0) throw new IssuerCallError('The JWKS has no usable key')
      keys = imported.keys
      lastFetchAt = options.clock.nowSeconds()
    } catch {
      jwksUrl = undefined // discover again next time: the metadata may have moved the JWKS
    }
  }

  const startFetch = (): Promise<void> | undefined => {
    if (inFlight !== undefined || closing.signal.aborted) return inFlight
    const nowSeconds = options.clock.nowSeconds()
    const intervalSeconds =
      keys.size === 0 ? Math.min(firstLoadRetrySeconds, options.cooldownSeconds) : options.cooldownSeconds
    if (lastAttemptAt !== undefined && nowSeconds - lastAttemptAt < intervalSeconds) return undefined
    lastAttemptAt = nowSeconds
    inFlight = load().finally(() => {
      inFlight = undefined
    })
    return inFlight
  }

  startFetch()
  return {
    resolve: (header) => {
      if (lastFetchAt !== undefined && options.clock.nowSeconds() - lastFetchAt >= options.refreshSeconds) {
        void startFetch() // in the background: this request goes on with the keys it has
      }
      return header.kid === undefined ? undefined : keys.get(header.kid)
    },
    whenReady: () => {
      if (keys.size > 0) return undefined
      const pending = startFetch()
      if (pending === undefined) return Promise.reject(notReady())
      return pending.then(() => {
        if (keys.size === 0) throw notReady()
      })
    },
    refetchForUnknownKey: () => {
      const pending = startFetch()
      return pending === undefined ? Promise.resolve(false) : pending.then(() => true)
    },
    // Notices are rare (one per rotation) and come from the deployment's own Redis; several within the delay
    // share one fetch, and one arriving during a fetch is served by the next timer.
    refreshSoon: () => {
      if (noticeTimer !== undefined || closing.signal.aborted) return
      noticeTimer = setTimeout(() => {
        noticeTimer = undefined
        lastAttemptAt = undefined
        if (inFlight === undefined) void startFetch()
        else void inFlight.then(() => (lastAttemptAt = undefined)).then(startFetch)
      }, noticeDelayMs)
      noticeTimer.unref()
    },
    health: () => ({ count: keys.size, kids: [...keys.keys()], lastFetchAt }),
    close: () => {
      clearTimeout(noticeTimer)
      closing.abort()
    },
  }
}

async function discoverJwksUrl(options: RemoteKeySourceOptions, signal: AbortSignal): Promise<string> {
  const metadata = await fetchJson(metadataUrlFor(options.issuer), fetchOptions(options, signal))
  // RFC 8414 §3.3: metadata claiming another issuer must not be used (it would let a proxy swap the keys).
  if (!isJsonObject(metadata) || metadata.issuer !== options.issuer) {
    throw new IssuerCallError('The metadata names another issuer')
  }
  const { jwks_uri: uri } = metadata
  if (typeof uri !== 'string' || !URL.canParse(uri) || !/^https?:$/.test(new URL(uri).protocol)) {
    throw new IssuerCallError('The metadata has no usable jwks_uri')
  }
  return uri
}

function fetchOptions(options: RemoteKeySourceOptions, signal: AbortSignal): FetchJsonOptions {
  return { timeoutMs: options.timeoutMs, maxBytes: maxDocumentBytes, signal }
}
