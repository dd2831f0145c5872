import { readAccessTokenTimes } from './access-token-timing.ts'
import { fetchWithOneRetry, hasOwnAuthorization, sendAttempt } from './authorized-request.ts'
import { isSessionEndReason, TesseraClientError } from './client-error.ts'
import { ClientEvents } from './client-events.ts'
import { type ClientOptions, type ResolvedClientOptions, resolveClientOptions } from './client-options.ts'
import { DpopProver } from './dpop-prover.ts'
import { createIssuerApi, type IssuerApi, requestLogout, requestTokens } from './issuer-api.ts'
import { SessionMemory } from './session-memory.ts'
import { TabCoordinator } from './tab-coordinator.ts'
import type { TabNews } from './tab-messages.ts'
import { platformTimers } from './timers.ts'
import type { PublicUser, TokenResponse } from './token-response.ts'

/** What `signIn` and `signUp` resolve to. */
export interface SignInResult {
  readonly user: PublicUser | undefined
  readonly sessionId: string | undefined
}

/**
 * The Tessera client: signs in, keeps the access token in memory (session-memory.ts), refreshes it before
 * expiry and on a 401, one refresh at a time within the tab and across tabs (tab-coordinator.ts), and
 * reports `refreshed`, `signed-in`, `signed-out` and `session-ended`.
 *
 * @example
 * const client = new TesseraClient({ issuer: 'https://auth.example.com' })
 */
export class TesseraClient extends ClientEvents {
  readonly #options: ResolvedClientOptions
  readonly #api: IssuerApi
  readonly #closing = new AbortController()
  readonly #memory: SessionMemory
  readonly #coordinator: TabCoordinator | undefined
  /** DPoP mode only: the client's one key pair, for its whole lifetime (tokens are bound to its thumbprint). */
  readonly #dpop: DpopProver | undefined
  #inFlight: Promise<void> | undefined

  constructor(options: ClientOptions) {
    super()
    this.#options = resolveClientOptions(options)
    const { issuer, mode, locks, openChannel, timers, leewaySeconds } = this.#options
    const signal = this.#closing.signal
    const timeoutMs = this.#options.requestTimeoutMs
    const dpop = this.#options.dpop
    this.#dpop = dpop === undefined ? undefined : new DpopProver(dpop)
    this.#api = createIssuerApi({
      issuer,
      mode,
      fetch: this.#options.fetch,
      signal,
      timeoutMs,
      dpop: this.#dpop,
    })
    this.#memory = new SessionMemory({ mode, timers, leewaySeconds, refresh: () => this.refresh() })
    const lockName = `tessera-refresh-${issuer}`
    const channel = openChannel?.(lockName)
    const onNews = (news: TabNews): void => this.#hearNews(news)
    this.#coordinator =
      locks || channel
        ? new TabCoordinator({ locks, channel, lockName, onNews, timers: platformTimers, now: Date.now })
        : undefined
  }

  /** The current access token (memory only), or `undefined` when signed out or not yet restored. */
  get accessToken(): string | undefined {
    return this.#memory.accessToken
  }

  /** `POST /v1/login`. Rejects with `invalid_credentials` (no event) on a wrong email or password. */
  signIn(credentials: { readonly email: string; readonly password: string }): Promise<SignInResult> {
    return this.#startSession('/v1/login', { email: credentials.email, password: credentials.password }, 200)
  }

  /** `POST /v1/signup`; signed in afterwards. */
  signUp(account: {
    readonly email: string
    readonly password: string
    readonly name?: string
  }): Promise<SignInResult> {
    const body = { email: account.email, password: account.password }
    const withName = account.name === undefined ? body : { ...body, name: account.name }
    return this.#startSession('/v1/signup', withName, 201)
  }

  /**
   * Refreshes now: one refresh at a time within this tab (a shared promise) and across tabs. In cookie
   * mode, call it once on page load to restore the session from the refresh cookie.
   */
  refresh(): Promise<void> {
    if (this.#closing.signal.aborted) return Promise.reject(new TesseraClientError('closed'))
    this.#inFlight ??= this.#refreshOnce().finally(() => {
      this.#inFlight = undefined
    })
    return this.#inFlight
  }

  /**
   * `fetch` with the access token. A 401 whose reason is refreshable (see authorized-request.ts) triggers
   * one refresh and exactly one retry; if the session ended instead, the 401 response is returned after
   * the `session-ended` event. Rejects (retryable) only when a needed refresh could not reach the issuer.
   */
  async fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    if (this.#closing.signal.aborted) throw new TesseraClientError('closed')
    const template = new Request(input, init)
    if (hasOwnAuthorization(template)) return this.#options.fetch(template)
    const { mode, issuerOrigin } = this.#options
    const memory = this.#memory
    const canRefresh = memory.state !== 'ended' && (mode === 'cookie' || memory.refreshToken !== undefined)
    if (memory.accessToken === undefined && canRefresh) await this.#refreshQuietly()
    const decoration = {
      isCookieMode: mode === 'cookie',
      issuerOrigin,
      fetch: this.#options.fetch,
      dpop: this.#dpop,
    }
    return fetchWithOneRetry({
      send: (accessToken) => sendAttempt(template, { ...decoration, accessToken }),
      currentToken: () => memory.accessToken,
      refresh: () => this.#refreshQuietly(),
    })
  }

  /** `POST /v1/logout`. Memory is cleared first; rejects (retryable) if the server could not be told. */
  async signOut(): Promise<void> {
    const { mode } = this.#options
    const { refreshToken, accessToken } = this.#memory
    const atMs = Date.now()
    this.#memory.advanceGeneration()
    this.#memory.forget('ended', { atMs })
    this.#coordinator?.announce({ type: 'signed-out', atMs })
    try {
      // Cookie mode: the cookie is the one credential; no token may travel beside it (SPEC §5).
      const bearer = mode === 'cookie' ? undefined : accessToken
      if (mode === 'cookie' || refreshToken !== undefined || bearer !== undefined)
        await requestLogout(this.#api, { refreshToken, accessToken: bearer })
    } finally {
      this.emit('signed-out', { isFromOtherTab: false })
    }
  }

  /**
   * Stops the timer, aborts requests in flight, closes the cross-tab channel and forgets the tokens and,
   * in DPoP mode, the key pair.
   */
  close(): void {
    this.#closing.abort()
    this.#dpop?.close()
    this.#coordinator?.close()
    this.#memory.close()
  }

  async #startSession(path: string, body: Record<string, unknown>, okStatus: number): Promise<SignInResult> {
    if (this.#closing.signal.aborted) throw new TesseraClientError('closed')
    const parsed = await requestTokens(this.#api, path, body, { okStatus })
    const atMs = Date.now()
    this.#memory.advanceGeneration()
    this.#memory.keep(parsed.accessToken, atMs, parsed.refreshToken)
    const { accessToken, user, sessionId } = parsed
    this.#coordinator?.announce({ type: 'signed-in', atMs, accessToken, user })
    this.emit('signed-in', { user, sessionId, isFromOtherTab: false })
    return { user, sessionId }
  }

  async #refreshOnce(): Promise<void> {
    if (!this.#coordinator) return this.#refreshOnWire()
    const outcome = await this.#coordinator.run(this.#memory.tokenAtMs, () => this.#refreshOnWire())
    // Another tab's news was already applied by #hearNews; only its verdict is left to report.
    if (outcome.byPeer && this.#memory.state === 'ended')
      throw new TesseraClientError(this.#memory.endReason ?? 'missing_token', { status: 401 })
  }

  async #refreshOnWire(): Promise<void> {
    const memory = this.#memory
    const generation = memory.generation
    const isCookieRefresh = this.#options.mode === 'cookie'
    let parsed: TokenResponse
    try {
      if (!isCookieRefresh && memory.refreshToken === undefined) throw new TesseraClientError('missing_token')
      const body = isCookieRefresh ? {} : { refresh_token: memory.refreshToken }
      parsed = await requestTokens(this.#api, '/v1/refresh', body, { okStatus: 200, isCookieRefresh })
    } catch (error) {
      throw error instanceof TesseraClientError ? this.#refused(error, generation) : error
    }
    // A sign-in, sign-out or another tab's news arrived meanwhile: this answer is stale.
    if (generation !== memory.generation) return
    const atMs = Date.now()
    memory.keep(parsed.accessToken, atMs, parsed.refreshToken)
    const { accessToken, user } = parsed
    this.#coordinator?.announce({ type: 'refreshed', atMs, accessToken, user })
    this.#emitRefreshed(parsed, false)
  }

  /** Ends the session for refusals that mean "sign in again"; the error is returned for throwing. */
  #refused(error: TesseraClientError, generation: number): TesseraClientError {
    const memory = this.#memory
    if (error.retryable || !isSessionEndReason(error.reason) || generation !== memory.generation) return error
    const wasActive = memory.state === 'active'
    const atMs = Date.now()
    memory.forget('ended', { reason: error.reason, atMs })
    // No session ever existed here (a first visit without a cookie): nothing ended, so no event.
    if (!wasActive && error.reason === 'missing_token') return error
    this.#coordinator?.announce({ type: 'session-ended', atMs, reason: error.reason })
    this.emit('session-ended', { reason: error.reason, isFromOtherTab: false })
    return error
  }

  async #refreshQuietly(): Promise<void> {
    try {
      await this.refresh()
    } catch (error) {
      // The session ended (event fired): the caller gets the server's 401. Unreachable issuer: rethrow.
      if (!(error instanceof TesseraClientError) || error.retryable || error.reason === 'closed') throw error
    }
  }

  /** Another tab of this origin refreshed, signed in or out, or lost the session (cookie mode). */
  #hearNews(news: TabNews): void {
    const memory = this.#memory
    if (news.atMs <= memory.tokenAtMs) return
    const wasActive = memory.state === 'active'
    if (news.type === 'refreshed' && memory.state === 'ended') return
    memory.advanceGeneration()
    if (news.type === 'refreshed' || news.type === 'signed-in') {
      memory.keep(news.accessToken, news.atMs, undefined)
      if (news.type === 'refreshed') this.#emitRefreshed(news, true)
      else this.emit('signed-in', { user: news.user, sessionId: undefined, isFromOtherTab: true })
      return
    }
    const reason = news.type === 'session-ended' ? news.reason : undefined
    memory.forget('ended', reason === undefined ? { atMs: news.atMs } : { reason, atMs: news.atMs })
    if (!wasActive) return
    if (reason === undefined) this.emit('signed-out', { isFromOtherTab: true })
    else this.emit('session-ended', { reason, isFromOtherTab: true })
  }

  #emitRefreshed(source: Pick<TokenResponse, 'accessToken' | 'user'>, isFromOtherTab: boolean): void {
    const expiresAt = readAccessTokenTimes(source.accessToken)?.expiresAt
    this.emit('refreshed', { expiresAt, user: source.user, isFromOtherTab })
  }
}

/**
 * Creates a client for one Tessera issuer.
 *
 * @example
 * const client = createClient({ issuer: 'https://auth.example.com' })
 * await client.signIn({ email: 'ada@example.com', password: 'correct horse battery staple' })
 * const response = await client.fetch('https://api.example.com/orders')
 */
export function createClient(options: ClientOptions): TesseraClient {
  return new TesseraClient(options)
}
