import { parseTabMessage, type TabMessage, type TabNews } from './tab-messages.ts'
import type { Timers } from './timers.ts'

/** The part of `navigator.locks` (Web Locks API) the client uses. */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { readonly ifAvailable?: boolean },
    callback: (lock: unknown) => Promise<T>,
  ): Promise<T>
}

/** The part of `BroadcastChannel` the client uses. */
export interface ChannelLike {
  postMessage(message: unknown): void
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void
  close(): void
}

export interface TabCoordinatorOptions {
  readonly locks: LockManagerLike | undefined
  readonly channel: ChannelLike | undefined
  /** Lock name, `tessera-refresh-` + issuer: one refresh at a time per issuer across the origin's tabs. */
  readonly lockName: string
  /** Called for every valid message of another tab, before any waiting refresh is released. */
  readonly onNews: (news: TabNews) => void
  readonly timers: Timers
  readonly now: () => number
  /** After queueing for the lock, how long to wait for the previous holder's news. */
  readonly settleMs?: number
  /** Without locks, how long to wait for a tab that announced a refresh before refreshing anyway. */
  readonly peerWaitMs?: number
  /** Without locks, how long a claim listens for a rival claim before refreshing (BroadcastChannel latency). */
  readonly claimWindowMs?: number
}

/** Either this tab ran the refresh, or another tab's news (newer than this tab's token) made it moot. */
export type RunOutcome<T> = { readonly byPeer: false; readonly value: T } | { readonly byPeer: true }

const BY_PEER: RunOutcome<never> = Object.freeze({ byPeer: true })

/**
 * Runs at most one refresh at a time across the tabs of an origin.
 *
 * With Web Locks: the refresh runs inside `locks.request(lockName)`. A tab that had to queue for the lock
 * was almost surely behind a tab that refreshed; since the lock grant and the BroadcastChannel message
 * travel separately (no ordering between them), it waits up to `settleMs` for that news before refreshing
 * itself. Without Web Locks: a tab announces `refreshing` and listens `claimWindowMs` for a rival claim
 * (the earlier one wins); others wait up to `peerWaitMs` for the winner's news, then refresh themselves.
 * A message slower than the claim window can still mean two refreshes; the server's grace window makes
 * that harmless.
 *
 * @example
 * const coordinator = new TabCoordinator({ locks: navigator.locks, channel, lockName, onNews, timers, now: Date.now })
 * const outcome = await coordinator.run(tokenReceivedAtMs, () => refreshOnTheWire())
 */
export class TabCoordinator {
  readonly #options: TabCoordinatorOptions
  readonly #waiters = new Set<() => void>()
  #latest: TabNews | undefined
  #peerRefreshingAtMs: number | undefined
  #rivalClaims: Array<{ readonly atMs: number; readonly id: number }> = []
  #closed = false

  constructor(options: TabCoordinatorOptions) {
    this.#options = options
    options.channel?.addEventListener('message', (event) => this.#receive(event.data))
  }

  /** Runs `task` unless another tab reported news after `sinceMs` (the time this tab's token arrived). */
  async run<T>(sinceMs: number, task: () => Promise<T>): Promise<RunOutcome<T>> {
    if (this.#hasNewsSince(sinceMs)) return BY_PEER
    if (this.#options.locks) return this.#runLocked(this.#options.locks, sinceMs, task)
    if (this.#options.channel) return this.#runAnnounced(sinceMs, task)
    return { byPeer: false, value: await task() }
  }

  /** Tells the other tabs (a no-op without a channel). */
  announce(message: TabMessage): void {
    if (!this.#closed) this.#options.channel?.postMessage(message)
  }

  /** Closes the channel and releases anything waiting. */
  close(): void {
    this.#closed = true
    this.#options.channel?.close()
    for (const release of [...this.#waiters]) release()
  }

  async #runLocked<T>(
    locks: LockManagerLike,
    sinceMs: number,
    task: () => Promise<T>,
  ): Promise<RunOutcome<T>> {
    const { lockName } = this.#options
    const immediate = await locks.request(lockName, { ifAvailable: true }, async (lock) =>
      lock === null ? undefined : this.#runOwn(sinceMs, task),
    )
    if (immediate !== undefined) return immediate
    return locks.request(lockName, {}, async () => {
      if (this.#options.channel) await this.#waitForNews(sinceMs, this.#options.settleMs ?? 250)
      return this.#runOwn(sinceMs, task)
    })
  }

  async #runAnnounced<T>(sinceMs: number, task: () => Promise<T>): Promise<RunOutcome<T>> {
    const { now, peerWaitMs = 5000, claimWindowMs = 50 } = this.#options
    const busySince = this.#peerRefreshingAtMs
    if (busySince !== undefined && now() - busySince < peerWaitMs)
      await this.#waitForNews(sinceMs, peerWaitMs - (now() - busySince))
    if (this.#hasNewsSince(sinceMs)) return BY_PEER
    // Without a lock two tabs can claim at the same moment. Each listens a little for a rival claim; the
    // earlier claim (then the smaller random id, a tie-breaker only) refreshes, the other waits for its news.
    const claim = { atMs: now(), id: Math.random() }
    this.#rivalClaims = []
    this.announce({ type: 'refreshing', ...claim })
    await this.#waitForNews(sinceMs, claimWindowMs)
    const isOutranked = this.#rivalClaims.some(
      (rival) => rival.atMs < claim.atMs || (rival.atMs === claim.atMs && rival.id < claim.id),
    )
    if (isOutranked) await this.#waitForNews(sinceMs, peerWaitMs)
    if (this.#hasNewsSince(sinceMs)) return BY_PEER
    return { byPeer: false, value: await task() }
  }

  async #runOwn<T>(sinceMs: number, task: () => Promise<T>): Promise<RunOutcome<T>> {
    // The lock holder before us may have refreshed already: one refresh on the wire is the goal.
    if (this.#hasNewsSince(sinceMs)) return BY_PEER
    return { byPeer: false, value: await task() }
  }

  #receive(data: unknown): void {
    if (this.#closed) return
    const message = parseTabMessage(data)
    // Every tab runs on one browser clock: news "from the future" is bogus and would block our refreshes.
    if (message === undefined || message.atMs > this.#options.now() + 1000) return
    if (message.type === 'refreshing') {
      // Our own clock, not the sender's claim: a bogus `atMs` must not make us wait forever.
      this.#peerRefreshingAtMs = this.#options.now()
      this.#rivalClaims.push({ atMs: message.atMs, id: message.id })
      return
    }
    this.#peerRefreshingAtMs = undefined
    if (this.#latest === undefined || message.atMs >= this.#latest.atMs) this.#latest = message
    this.#options.onNews(message)
    for (const check of [...this.#waiters]) check()
  }

  #hasNewsSince(sinceMs: number): boolean {
    return this.#latest !== undefined && this.#latest.atMs > sinceMs
  }

  #waitForNews(sinceMs: number, timeoutMs: number): Promise<void> {
    if (this.#closed || this.#hasNewsSince(sinceMs)) return Promise.resolve()
    return new Promise((resolve) => {
      const finish = (): void => {
        this.#options.timers.clearTimeout(handle)
        this.#waiters.delete(check)
        resolve()
      }
      const check = (): void => {
        if (this.#closed || this.#hasNewsSince(sinceMs)) finish()
      }
      const handle = this.#options.timers.setTimeout(finish, timeoutMs)
      this.#waiters.add(check)
    })
  }
}
