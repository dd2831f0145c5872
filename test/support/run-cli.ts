import type { CliIo } from '../../packages/server/src/cli/cli-io.ts'
import { main } from '../../packages/server/src/cli/main.ts'

/** What one in-process `tessera` invocation printed and returned. */
export interface CliRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs the CLI in this process against a data dir, capturing its output (no process start-up per call).
 */
export async function runCli(
  argv: readonly string[],
  options: { readonly dataDir: string; readonly stdin?: string; readonly env?: Record<string, string> },
): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const io: CliIo = {
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
    readStdin: async () => options.stdin ?? '',
    env: { TESSERA_DATA_DIR: options.dataDir, TESSERA_LOG_LEVEL: 'silent', ...options.env },
    cwd: options.dataDir,
  }
  const code = await main(argv, io)
  return { code, stdout, stderr }
}
