import type { Timers } from '../timers.ts'

/** A pending callback of {@link createManualTimers}. */
export interface PendingTimer {
  readonly delayMs: number
  readonly callback: () => void
}

/** Timers that only fire when the test says so (no sleeping, no timing-dependent assertions). */
export interface ManualTimers extends Timers {
  /** The callbacks set and not yet fired or cleared, oldest first. */
  pending(): readonly PendingTimer[]
  /** Fires (and removes) every pending callback. */
  fireAll(): void
}

/**
 * Creates a hand-driven implementation of the client's timer seam.
 *
 * @example
 * const timers = createManualTimers()
 * const client = createClient({ issuer, timers })
 * timers.fireAll() // the proactive refresh runs now
 */
export function createManualTimers(): ManualTimers {
  const pending = new Map<number, PendingTimer>()
  let nextId = 1
  return {
    setTimeout(callback, delayMs) {
      const id = nextId
      nextId += 1
      pending.set(id, { callback, delayMs })
      return id
    },
    clearTimeout(handle) {
      if (typeof handle === 'number') pending.delete(handle)
    },
    pending: () => [...pending.values()],
    fireAll() {
      const due = [...pending.values()]
      pending.clear()
      for (const timer of due) timer.callback()
    },
  }
}
