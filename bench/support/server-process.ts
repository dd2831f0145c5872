/**
 * The child process of ./forked-server.ts: starts the server its argument describes, reports its URL over
 * IPC, answers event-loop statistics requests, and shuts the server down on `stop`. Run only by `fork`.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { loadConfig } from '../../packages/server/src/config/load-config.ts'
import { createLogger } from '../../packages/server/src/logging/create-logger.ts'
import { startServer } from '../../packages/server/src/server.ts'
import type { FromChild, ServerSpec, ToChild } from './forked-server.ts'
import { openOidcPostgresStore } from './oidc-postgres-store.ts'
import { startOidcProviderServer } from './oidc-provider-server.ts'
import { openOidcSqliteStore } from './oidc-sqlite-store.ts'

const tell = (message: FromChild): void => void process.send?.(message)

async function start(spec: ServerSpec): Promise<{ url: string; close(): Promise<void> }> {
  if (spec.kind === 'tessera') {
    const config = loadConfig({ env: spec.env, cwd: spec.cwd })
    // Silent like oidc-provider, which writes no request log either.
    return startServer(config, { logger: createLogger({ level: 'silent' }) })
  }
  const { database } = spec
  const store =
    database.kind === 'sqlite'
      ? openOidcSqliteStore(database.file)
      : await openOidcPostgresStore(database.url)
  await store.createAccounts(spec.accounts)
  return startOidcProviderServer(store)
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as ServerSpec
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  let loopSince = performance.eventLoopUtilization()
  const server = await start(spec)
  let isStopping = false
  const stop = (): void => {
    if (isStopping) return
    isStopping = true
    delay.disable()
    void server.close().finally(() => process.exit(0))
  }
  process.on('message', (message: ToChild) => {
    if (message.type === 'loop-reset') {
      delay.reset()
      loopSince = performance.eventLoopUtilization()
    } else if (message.type === 'loop-read') {
      tell({
        type: 'loop',
        delayP50Ms: delay.percentile(50) / 1e6,
        delayP99Ms: delay.percentile(99) / 1e6,
        delayMaxMs: delay.max / 1e6,
        utilization: performance.eventLoopUtilization(loopSince).utilization,
      })
    } else if (message.type === 'stop') stop()
  })
  // The parent going away must not leave a server behind.
  process.on('disconnect', stop)
  tell({ type: 'ready', url: server.url })
}

main().catch((error: unknown) => {
  tell({ type: 'failed', message: error instanceof Error ? error.message : String(error) })
  console.error(error)
  process.exit(1)
})
