/** Exit codes of every `tessera` command (SPEC §6). */
export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

/** A usage mistake: the command line itself is wrong (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Where a command writes; injected so tests can capture it. */
export interface CliIo {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  readonly readStdin: () => Promise<string>
  readonly env: NodeJS.ProcessEnv
  readonly cwd: string
}

/**
 * The process's real streams.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2), processIo())
 */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array))
      return Buffer.concat(chunks).toString('utf8')
    },
    env: process.env,
    cwd: process.cwd(),
  }
}

/**
 * Prints a result: JSON on stdout with `--json`, else the human lines.
 *
 * @example
 * printResult(io, json, { kid }, [`rotated: ${kid}`])
 */
export function printResult(io: CliIo, json: boolean, value: unknown, lines: readonly string[]): void {
  io.stdout(json ? `${JSON.stringify(value, null, 2)}\n` : `${lines.join('\n')}\n`)
}

/**
 * Progress for anything that may take over a second (SPEC §6), on stderr so `--json` stdout stays parseable.
 *
 * @example
 * const done = startProgress(io, 'hashing password'); await work(); done()
 */
export function startProgress(io: CliIo, label: string): () => void {
  const started = Date.now()
  const timer = setInterval(
    () => io.stderr(`… ${label} (${Math.round((Date.now() - started) / 1000)} s)\n`),
    1000,
  )
  timer.unref()
  return () => clearInterval(timer)
}
