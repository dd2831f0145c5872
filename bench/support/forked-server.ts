/**
 * Servers under test each run in a child process of their own (./server-process.ts), so the load generator
 * in the benchmark's process never shares an event loop with them, and each server's CPU time can be read
 * apart from the load generator's (Linux `/proc`).
 */
import { type ChildProcess, fork } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** What a child process starts: Tessera with `TESSERA_*` settings, or oidc-provider over a database. */
export type ServerSpec =
  | { readonly kind: 'tessera'; readonly env: Readonly<Record<string, string>>; readonly cwd: string }
  | {
      readonly kind: 'oidc-provider'
      readonly database:
        | { readonly kind: 'sqlite'; readonly file: string }
        | { readonly kind: 'postgres'; readonly url: string }
      /** Accounts `findAccount` knows: ids and emails. */
      readonly accounts: readonly { readonly id: string; readonly email: string }[]
    }

/** The child's event loop over a window: delay percentiles (ms) and utilisation (0–1). */
export interface LoopStats {
  readonly delayP50Ms: number
  readonly delayP99Ms: number
  readonly delayMaxMs: number
  readonly utilization: number
}

/** Messages between the benchmark and a server child. */
export type ToChild =
  | { readonly type: 'stop' }
  | { readonly type: 'loop-reset' }
  | { readonly type: 'loop-read' }
export type FromChild =
  | { readonly type: 'ready'; readonly url: string }
  | { readonly type: 'failed'; readonly message: string }
  | ({ readonly type: 'loop' } & LoopStats)

export interface ForkedServer {
  readonly url: string
  readonly pid: number
  /** CPU time of the whole child (every thread: the event loop, the libuv pool, GC), in ms. */
  processCpuMs(): number | undefined
  /** CPU time of the child's main (event-loop) thread alone, in ms. */
  mainThreadCpuMs(): number | undefined
  /** Starts a new window of event-loop statistics. */
  resetLoopStats(): void
  /** The event-loop statistics since the last reset. */
  readLoopStats(): Promise<LoopStats>
  close(): Promise<void>
}

// utime + stime of a /proc stat line, in clock ticks of 10 ms (USER_HZ is 100 on Linux). Node 20 has no
// per-thread CPU API, and a child's CPU cannot be asked for from outside any other way.
function procCpuMs(path: string): number | undefined {
  try {
    const stat = readFileSync(path, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

function waitFor<T extends FromChild['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<FromChild, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`server child: no ${type} within ${timeoutMs} ms`)),
      timeoutMs,
    )
    const onMessage = (message: FromChild): void => {
      if (message.type === type) finish(undefined, message as Extract<FromChild, { type: T }>)
      else if (message.type === 'failed') finish(new Error(`server child failed: ${message.message}`))
    }
    const onExit = (code: number | null): void =>
      finish(new Error(`server child exited (${code}) before ${type}`))
    function finish(error: Error | undefined, message?: Extract<FromChild, { type: T }>): void {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
      if (message !== undefined) resolve(message)
      else reject(error)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}

/**
 * Forks a server child, waits until it listens, and returns a handle to it.
 *
 * @example
 * const server = await forkServer({ kind: 'tessera', env: { TESSERA_DATA_DIR: dir }, cwd: dir })
 * console.log(server.url)
 * await server.close()
 */
export async function forkServer(spec: ServerSpec): Promise<ForkedServer> {
  const child = fork(new URL('./server-process.ts', import.meta.url), [JSON.stringify(spec)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const send = (message: ToChild): void => void child.send(message)
  let ready: { url: string }
  try {
    ready = await waitFor(child, 'ready', 60_000)
  } catch (error) {
    child.kill()
    throw error
  }
  const pid = child.pid ?? 0
  return {
    url: ready.url,
    pid,
    processCpuMs: () => procCpuMs(`/proc/${pid}/stat`),
    mainThreadCpuMs: () => procCpuMs(`/proc/${pid}/task/${pid}/stat`),
    resetLoopStats: () => send({ type: 'loop-reset' }),
    readLoopStats: async () => {
      const reply = waitFor(child, 'loop', 10_000)
      send({ type: 'loop-read' })
      const { type: _type, ...stats } = await reply
      return stats
    },
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      send({ type: 'stop' })
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    },
  }
}
