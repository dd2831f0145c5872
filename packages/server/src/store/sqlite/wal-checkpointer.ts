/**
 * SQLite's WAL checkpoints on a worker thread with a connection of its own, instead of on the event loop.
 *
 * In WAL mode a commit only appends pages to the `-wal` file; a checkpoint copies them back into the
 * database file and syncs it. By default the connection that commits runs it, synchronously, whenever the
 * WAL passes 1000 pages: under a refresh storm that blocked the event loop 9–20 ms at a time, and it was
 * half of the commit's time on the main thread (docs/benchmarks.md, refresh-rotation). Here the serving
 * connection's automatic checkpoint is switched off and the worker runs a PASSIVE checkpoint every
 * `intervalMs`: it copies what it can without taking any lock a writer or a reader needs.
 *
 * Copying is not enough: the WAL is rewound (written again from its start) only by a writer that finds it
 * wholly copied, and a writer that keeps appending while the worker copies may never find it so. So once
 * the WAL holds `rewindAtFrames` frames the worker runs more PASSIVE passes, each copying what was
 * appended during the one before; when one finds nothing new the next write rewinds the WAL. If the
 * writer never pauses that long, the worker asks the main thread to hold back new write transactions
 * (`writesMayBegin`, which the driver awaits before `BEGIN IMMEDIATE`, as it waits for another process's
 * lock: the event loop stays free), copies the rest, and lets them go; the first of them rewinds the WAL.
 * (A RESTART checkpoint from the worker would have had to win the write lock from a busy writer by polling,
 * and measured, copied thousands of frames under it when it did; the main thread copying the rest
 * itself stalled the loop 5–20 ms.)
 *
 * Durability is unchanged: WAL with `synchronous = NORMAL` on both connections, so a commit is not synced
 * and a checkpoint syncs the WAL and then the database file, as before. The worker starts only once the
 * store has committed `startAfterCommits` transactions (a short-lived store, such as a test's or the CLI's,
 * never pays for a thread), and until it is ready — or if it ever fails — SQLite's own automatic
 * checkpoint stays on.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type BetterSqlite3 from 'better-sqlite3'

/** SQLite's own default `wal_autocheckpoint`, restored if the worker fails. */
const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1000
/** PASSIVE passes per tick that try to catch up with the writer before asking it to hold back. */
const CATCH_UP_PASSES = 8
/** Longest hold on new write transactions, should the worker never answer. */
const MAX_WRITE_PAUSE_MS = 1000

export interface WalCheckpointerOptions {
  /** The database file (the worker opens its own connection to it). */
  readonly file: string
  /** Bound on the worker connection's wait for a lock while it opens the file. */
  readonly busyTimeoutMs: number
  /** Time between two PASSIVE checkpoints; default 100. */
  readonly intervalMs?: number
  /** WAL size, in frames (pages), from which the worker makes sure it gets rewound; default 4096 (16 MiB). */
  readonly rewindAtFrames?: number
  /** Commits before the worker starts; default 256. */
  readonly startAfterCommits?: number
}

type FromWorker = 'ready' | 'pause-writes' | 'resume-writes'
type ToWorker = 'writes-paused' | 'stop'

// Plain JavaScript run with `eval`: the worker must not depend on the TypeScript loader the main thread
// may have been started with. It only checkpoints; it never reads or writes a row.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driverPath)
const { rewindAtFrames, catchUpPasses } = workerData
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs, fileMustExist: true })
db.pragma('synchronous = NORMAL')
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)')[0]
let isWaitingForWriter = false
// Copies until a pass finds nothing new; false if the writer kept appending through every pass.
const catchUp = () => {
  let last = checkpoint()
  for (let pass = 0; pass < catchUpPasses; pass += 1) {
    const next = checkpoint()
    if (next.log === last.log) return true
    last = next
  }
  return false
}
const timer = setInterval(() => {
  if (isWaitingForWriter || checkpoint().log < rewindAtFrames || catchUp()) return
  isWaitingForWriter = true
  parentPort.postMessage('pause-writes')
}, workerData.intervalMs)
parentPort.on('message', (message) => {
  if (message === 'writes-paused') {
    catchUp()
    isWaitingForWriter = false
    parentPort.postMessage('resume-writes')
  }
  if (message !== 'stop') return
  clearInterval(timer)
  db.close()
  parentPort.close()
})
parentPort.postMessage('ready')
`

/**
 * Moves the WAL checkpoints of `database` (the serving connection) to a worker thread once the store is
 * busy (see the file comment). `noteCommit` after every commit; `stop` before closing the connection.
 *
 * @example
 * const checkpointer = new WalCheckpointer(database, { file, busyTimeoutMs: 5000 })
 * // after each commit: checkpointer.noteCommit()
 * await checkpointer.stop()
 */
export class WalCheckpointer {
  readonly #database: BetterSqlite3.Database
  readonly #options: Required<WalCheckpointerOptions>
  #commits = 0
  #worker: Worker | undefined
  #isReady = false
  #isStopping = false
  #exited: Promise<void> | undefined
  #readiness: Promise<boolean> = Promise.resolve(false)
  #writePause: { readonly until: Promise<void>; readonly end: () => void } | undefined

  constructor(database: BetterSqlite3.Database, options: WalCheckpointerOptions) {
    this.#database = database
    this.#options = { intervalMs: 100, rewindAtFrames: 4096, startAfterCommits: 256, ...options }
  }

  /** Whether the worker runs the checkpoints (false before it starts and after it stopped or failed). */
  get isActive(): boolean {
    return this.#isReady && !this.#isStopping
  }

  /**
   * Resolves true once the worker runs the checkpoints; false if it has not been started, or failed or was
   * stopped before it was ready.
   */
  ready(): Promise<boolean> {
    return this.#readiness
  }

  /**
   * Undefined when a write transaction may begin now; else a promise that resolves when it may (the worker
   * is copying the last frames so that the WAL can be rewound). The driver awaits it before `BEGIN`.
   */
  writesMayBegin(): Promise<void> | undefined {
    return this.#writePause?.until
  }

  /** Counts a commit of the serving connection; the one reaching `startAfterCommits` starts the worker. */
  noteCommit(): void {
    this.#commits += 1
    if (this.#commits === this.#options.startAfterCommits && !this.#isStopping) this.#start()
  }

  /** Stops the worker (its connection closed) and resolves when it has exited. Idempotent. */
  async stop(): Promise<void> {
    this.#isStopping = true
    this.#resumeWrites()
    const worker = this.#worker
    if (worker === undefined) return
    // Held until it has exited: a process must not end while the worker still has the file open.
    worker.ref()
    // Not ready yet: it holds no lock worth finishing with, and a starting thread takes tens of ms.
    if (this.#isReady) this.#send(worker, 'stop')
    else void worker.terminate()
    await this.#exited
  }

  #start(): void {
    const { file, busyTimeoutMs, intervalMs, rewindAtFrames } = this.#options
    const driverPath = createRequire(import.meta.url).resolve('better-sqlite3')
    const workerData = { driverPath, file, busyTimeoutMs, intervalMs, rewindAtFrames }
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { ...workerData, catchUpPasses: CATCH_UP_PASSES },
    })
    this.#worker = worker
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()))
    this.#readiness = new Promise((resolve) => {
      worker.on('message', (message: FromWorker) => {
        if (message === 'pause-writes') return this.#pauseWrites(worker)
        if (message === 'resume-writes') return this.#resumeWrites()
        if (this.#isStopping) return resolve(false)
        // Running, it must not keep an otherwise finished process alive (stop() holds it again).
        worker.unref()
        this.#isReady = true
        this.#setAutocheckpoint(0)
        resolve(true)
      })
      worker.once('exit', () => resolve(false))
    })
    // The worker failed (it could not open the file, a checkpoint threw) or vanished: checkpoint as SQLite
    // does by default again, so the WAL stays bounded.
    worker.once('error', () => this.#fallBack())
    worker.once('exit', () => this.#fallBack())
  }

  #pauseWrites(worker: Worker): void {
    if (this.#isStopping) return
    if (this.#writePause === undefined) {
      let end = (): void => {}
      const until = new Promise<void>((resolve) => {
        end = resolve
      })
      const timer = setTimeout(() => this.#resumeWrites(), MAX_WRITE_PAUSE_MS)
      this.#writePause = {
        until,
        end: () => {
          clearTimeout(timer)
          end()
        },
      }
    }
    // Runs between two transactions (a message is a macrotask): from here on no new one begins.
    this.#send(worker, 'writes-paused')
  }

  #resumeWrites(): void {
    const pause = this.#writePause
    this.#writePause = undefined
    pause?.end()
  }

  #send(worker: Worker, message: ToWorker): void {
    worker.postMessage(message)
  }

  #fallBack(): void {
    this.#resumeWrites()
    if (!this.#isReady) return
    this.#isReady = false
    if (!this.#isStopping) this.#setAutocheckpoint(SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES)
  }

  #setAutocheckpoint(pages: number): void {
    try {
      this.#database.pragma(`wal_autocheckpoint = ${pages}`)
    } catch {
      // A connection that is closing or busy keeps the setting it has; both settings keep the file correct.
    }
  }
}
