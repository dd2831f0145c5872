import type { AccessTokenClaims } from '@tessera/core'
import { GuardError, UNAVAILABLE_RETRY_AFTER_SECONDS } from './guard-errors.ts'
import type { ResolvedGuardOptions } from './guard-options.ts'
import { RedisRevocationFeed } from './redis-revocation-feed.ts'
import { RevocationFeed } from './revocation-feed.ts'
import { RevocationState } from './revocation-state.ts'

/** Where revocations come from: the auth server's SSE feed, or the Redis event stream. */
export interface RevocationSource {
  /** The connection is open. */
  readonly connected: boolean
  /** Epoch seconds of the last sign of life; `undefined` before the first. */
  readonly lastEventAt: number | undefined
  /** Heard within the configured bound: the revocation state can be trusted. */
  isLive(nowSeconds: number): boolean
  /** Resolves once the snapshot has been read, or after `timeoutMs`; never rejects. */
  whenFirstEvent(timeoutMs: number): Promise<void>
  close(): Promise<void>
}

/** The revocation part of `guard.health()`. */
export interface RevocationHealth {
  /** The feed's HTTP response is open. */
  readonly connected: boolean
  /** Epoch seconds of the last feed event; `undefined` before the first. */
  readonly lastEventAt: number | undefined
  /**
   * `live`: heard within the bound; `stale-closed` / `stale-open`: silent longer (or not heard yet), and
   * tokens are refused / accepted meanwhile; `disabled`: no client, revocation happens only at expiry.
   */
  readonly state: 'live' | 'stale-closed' | 'stale-open' | 'disabled'
}

/** Decides, per token, what revocation says: pass, refuse, or "cannot tell" (503 when failing closed). */
export interface RevocationGate {
  /** Throws the refusal; returns a promise only while a closed guard waits for the feed's first snapshot. */
  check(claims: AccessTokenClaims): Promise<void> | undefined
  health(): RevocationHealth
  close(): Promise<void>
}

const disabledGate: RevocationGate = Object.freeze({
  check: () => undefined,
  health: () => ({ connected: false, lastEventAt: undefined, state: 'disabled' as const }),
  close: () => Promise.resolve(),
})

const cannotTell = (): GuardError =>
  new GuardError('revoked', {
    message: 'The revocation feed is unavailable, so no token can be accepted now',
    retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
  })

/**
 * The revocation gate of a guard. With `redis` it follows the Redis event stream, else with a client the
 * SSE feed, into an in-memory `RevocationState`;
 * a check is then two map lookups. While the feed is silent beyond `maxSilenceSeconds` a `closed` guard
 * refuses every token with 503 and `Retry-After` (it can no longer tell a revoked session from a live one),
 * and an `open` one accepts tokens on what it last heard. At startup a closed guard holds requests until the
 * first snapshot, for at most `networkTimeoutMs`. Without a client the gate is disabled and passes everything.
 *
 * @example
 * const gate = createRevocationGate(resolvedOptions)
 * await gate.check(claims) // throws GuardError('session_revoked') after a logout
 */
export function createRevocationGate(
  options: ResolvedGuardOptions,
  onKeysChanged: () => void = () => undefined,
): RevocationGate {
  const { client, clock, failMode, redis } = options
  const state = new RevocationState(options.maxTokenLifetimeSeconds + options.leewaySeconds)
  let feed: RevocationSource
  if (redis !== undefined) {
    feed = new RedisRevocationFeed({
      ...redis,
      state,
      clock,
      maxSilenceSeconds: options.maxSilenceSeconds,
      onKeysChanged,
    })
  } else if (client !== undefined) {
    feed = new RevocationFeed({
      issuer: options.issuer,
      client,
      state,
      clock,
      random: options.random,
      maxSilenceSeconds: options.maxSilenceSeconds,
      timeoutMs: options.networkTimeoutMs,
    })
  } else {
    return disabledGate
  }
  const checkAfterFirstEvent = async (claims: AccessTokenClaims): Promise<void> => {
    await feed.whenFirstEvent(options.networkTimeoutMs)
    if (!feed.isLive(clock.nowSeconds())) throw cannotTell()
    state.check(claims)
  }
  return {
    check: (claims) => {
      if (!feed.isLive(clock.nowSeconds()) && failMode === 'closed') {
        if (feed.lastEventAt === undefined) return checkAfterFirstEvent(claims)
        throw cannotTell()
      }
      state.check(claims)
      return undefined
    },
    health: () => {
      const isLive = feed.isLive(clock.nowSeconds())
      return {
        connected: feed.connected,
        lastEventAt: feed.lastEventAt,
        state: isLive ? 'live' : failMode === 'closed' ? 'stale-closed' : 'stale-open',
      }
    },
    close: () => feed.close(),
  }
}
