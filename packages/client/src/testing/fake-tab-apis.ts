import type { ChannelLike, LockManagerLike } from '../tab-coordinator.ts'

/**
 * In-memory stand-ins for two browser APIs that Node lacks or cannot share between "tabs" of one test:
 * `navigator.locks` and `BroadcastChannel`. Everything else in the client's tests is real.
 */

/**
 * A Web Locks fake: exclusive locks granted in request order, `ifAvailable` answered with `null` while held.
 *
 * @example
 * const locks = createFakeLocks()
 * await locks.request('x', {}, async () => 'held')
 */
export function createFakeLocks(): LockManagerLike & { readonly grants: () => number } {
  const tails = new Map<string, Promise<void>>()
  const held = new Set<string>()
  let grants = 0
  return {
    grants: () => grants,
    async request<T>(
      name: string,
      options: { readonly ifAvailable?: boolean },
      callback: (lock: unknown) => Promise<T>,
    ): Promise<T> {
      if (options.ifAvailable && (held.has(name) || tails.has(name))) return callback(null)
      const previous = tails.get(name) ?? Promise.resolve()
      let release = (): void => {}
      const mine = new Promise<void>((resolve) => {
        release = resolve
      })
      const tail = previous.then(() => mine)
      tails.set(name, tail)
      await previous
      held.add(name)
      grants += 1
      try {
        return await callback({ name })
      } finally {
        held.delete(name)
        if (tails.get(name) === tail) tails.delete(name)
        release()
      }
    },
  }
}

/** A BroadcastChannel fake whose delivery the test can hold back, to reorder it against lock grants. */
export interface FakeChannelHub {
  readonly open: (name: string) => ChannelLike
  /** Every message posted so far, in order (as sent). */
  readonly posted: unknown[]
  /** Queue messages instead of delivering them. */
  hold(): void
  /** Delivers what was held and resumes normal (asynchronous) delivery. */
  release(): void
}

/**
 * Channels delivering structured clones to every *other* open channel of the same name, asynchronously,
 * like the real one.
 *
 * @example
 * const hub = createFakeChannelHub()
 * const a = hub.open('n'), b = hub.open('n')
 * b.addEventListener('message', (event) => console.log(event.data))
 * a.postMessage({ hello: 1 })
 */
export function createFakeChannelHub(): FakeChannelHub {
  const members = new Map<string, Set<{ listeners: Array<(event: { data: unknown }) => void> }>>()
  const posted: unknown[] = []
  let held: Array<() => void> | undefined
  const schedule = (deliver: () => void): void => {
    if (held) held.push(deliver)
    else setTimeout(deliver, 0)
  }
  return {
    posted,
    hold: () => {
      held = []
    },
    release: () => {
      const queued = held ?? []
      held = undefined
      for (const deliver of queued) deliver()
    },
    open(name) {
      const member = { listeners: [] as Array<(event: { data: unknown }) => void> }
      const group = members.get(name) ?? new Set()
      members.set(name, group)
      group.add(member)
      return {
        postMessage(message) {
          posted.push(message)
          for (const other of group) {
            if (other === member) continue
            const data = structuredClone(message)
            schedule(() => {
              for (const listener of other.listeners) listener({ data })
            })
          }
        },
        addEventListener(_type, listener) {
          member.listeners.push(listener)
        },
        close() {
          group.delete(member)
        },
      }
    },
  }
}
