/** The timer seam: real timers by default, a hand-driven fake in tests (no sleeping to wait for expiry). */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): unknown
  clearTimeout(handle: unknown): void
}

/**
 * `setTimeout` / `clearTimeout` of the platform. In Node the timer is `unref`ed: a pending proactive
 * refresh must never keep a script or a CLI from exiting.
 *
 * @example
 * const handle = platformTimers.setTimeout(() => refresh(), 60_000)
 * platformTimers.clearTimeout(handle)
 */
export const platformTimers: Timers = Object.freeze({
  setTimeout(callback: () => void, delayMs: number): unknown {
    const handle: unknown = globalThis.setTimeout(callback, delayMs)
    if (
      typeof handle === 'object' &&
      handle !== null &&
      'unref' in handle &&
      typeof handle.unref === 'function'
    )
      handle.unref()
    return handle
  },
  clearTimeout(handle: unknown): void {
    globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0])
  },
})
