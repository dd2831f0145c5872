import { type AccessTokenClaims, isJsonObject } from '@tessera/core'
import { createRedisConnection, createRedisTokenUses } from '@tessera/redis'
import { fetchJson, IssuerCallError } from './fetch-json.ts'
import { GuardError, UNAVAILABLE_RETRY_AFTER_SECONDS } from './guard-errors.ts'
import type { GuardClientCredentials } from './guard-options.ts'
import { basicAuthorization, tokenUsesUrlFor } from './issuer-endpoints.ts'

/** Consumes one use of a `max_uses` token, or throws the `GuardError` that refuses the request. */
export type TokenUseCounter = (claims: AccessTokenClaims) => Promise<void>

export interface TokenUseCounterOptions {
  readonly issuer: string
  /** Without a client nothing can count, and every `max_uses` token is refused. */
  readonly client: GuardClientCredentials | undefined
  readonly timeoutMs: number
  readonly signal?: AbortSignal
  /** Count on Redis directly (the same counters the auth server keeps there) instead of calling it. */
  readonly redis?: { readonly url: string; readonly keyPrefix: string; readonly leewaySeconds: number }
}

/** A counter and the means to close what it opened. */
export interface TokenUseCounting {
  readonly consume: TokenUseCounter
  close(): void
}

const maxAnswerBytes = 4096

/**
 * Counts uses of `max_uses` tokens at the auth server, `POST {issuer}/v1/token-uses` (docs/guard-protocol.md),
 * which increments a counter keyed on `(iss, jti)` atomically — never on the token text: ECDSA signatures
 * are malleable, so one token can be written several ways, but its `jti` is one. A refused use is 401
 * `uses_exhausted`; an unreachable or garbled counter is 503 with the same reason, because the guard cannot
 * tell, and letting the request through would hand out uses nobody counted.
 *
 * @example
 * const counter = createTokenUseCounter({ issuer, client, timeoutMs: 5000 })
 * if (claims.max_uses !== undefined) await counter.consume(claims)
 */
export function createTokenUseCounter(options: TokenUseCounterOptions): TokenUseCounting {
  if (options.redis !== undefined) return createRedisTokenUseCounter(options.redis)
  return { consume: createIssuerTokenUseCounter(options), close: () => undefined }
}

/**
 * Counts on Redis with the auth server's own script and keys (`@tessera/redis`), so guards on Redis, guards
 * calling the auth server, and the auth server all draw on one counter per `(iss, jti)`. The counter lives
 * until `exp` plus the leeway (and the retention margin), as long as any verifier could accept the token.
 * Redis unreachable is a 503, for the reason given above.
 */
function createRedisTokenUseCounter(redis: NonNullable<TokenUseCounterOptions['redis']>): TokenUseCounting {
  const connection = createRedisConnection(redis.url, { name: 'guard' })
  const counters = createRedisTokenUses({ redis: connection, keyPrefix: redis.keyPrefix })
  return {
    consume: async (claims) => {
      let decision: { allowed: boolean }
      try {
        decision = await counters.consume({
          iss: claims.iss,
          jti: claims.jti,
          maxUses: claims.max_uses ?? 1,
          expiresAt: claims.exp + redis.leewaySeconds,
        })
      } catch (error) {
        throw unavailable(undefined, error)
      }
      if (!decision.allowed) throw new GuardError('uses_exhausted')
    },
    close: () => connection.disconnect(),
  }
}

function createIssuerTokenUseCounter(options: TokenUseCounterOptions): TokenUseCounter {
  const { client } = options
  if (client === undefined) {
    return () =>
      Promise.reject(
        new GuardError('uses_exhausted', {
          message:
            'This token is limited to a number of uses, and this API has no client configured to count them',
        }),
      )
  }
  const url = tokenUsesUrlFor(options.issuer)
  const authorization = basicAuthorization(client)
  return async (claims) => {
    let answer: unknown
    try {
      answer = await fetchJson(url, {
        method: 'POST',
        headers: { authorization },
        body: { iss: claims.iss, jti: claims.jti, exp: claims.exp, max_uses: claims.max_uses },
        timeoutMs: options.timeoutMs,
        maxBytes: maxAnswerBytes,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      })
    } catch (error) {
      if (!(error instanceof IssuerCallError)) throw error
      // 401/403 is a configuration fault (wrong secret, no tokens:consume scope), worth its own message.
      const isClientRefused = error.status === 401 || error.status === 403
      throw unavailable(
        isClientRefused ? 'The auth server refused this API’s client for counting uses' : undefined,
        error,
      )
    }
    if (!isJsonObject(answer) || typeof answer.allowed !== 'boolean') throw unavailable(undefined, undefined)
    if (!answer.allowed) throw new GuardError('uses_exhausted')
  }
}

function unavailable(message: string | undefined, cause: unknown): GuardError {
  return new GuardError('uses_exhausted', {
    message: message ?? 'The use counter of this token could not be reached',
    retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
    cause,
  })
}
