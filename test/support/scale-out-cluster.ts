/**
 * A scale-out deployment on loopback for tests: N `tessera serve` processes sharing one PostgreSQL schema
 * (fresh, dropped at the end) and one Redis key prefix (fresh, swept at the end), behind a round-robin
 * load balancer whose URL is the issuer, plus guard processes following the Redis event stream.
 */
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRedisConnection } from '@tessera/redis'
import { openRedisTestScope } from '../../packages/redis/src/redis-test-scope.ts'
import { freshSchemaName, TestDatabase, urlWithSearchPath } from './postgres-schemas.ts'
import { type RoundRobinProxy, startRoundRobinProxy } from './round-robin-proxy.ts'
import { spawnListening, stopProcess } from './spawn-listening.ts'

const REPO = new URL('../../', import.meta.url).pathname
const GUARD_SCRIPT = join(REPO, 'test/support/guard-process.ts')
export const CLUSTER_AUDIENCE = 'orders-api'

export interface ClusterProcess {
  readonly url: string
  readonly child: ChildProcess
}

export interface GuardProcessOptions {
  readonly failMode?: 'closed' | 'open'
  readonly maxSilenceSeconds?: number
  readonly jwksCooldownSeconds?: number
  /** Another Redis than the cluster's (a fault drill's own). */
  readonly redisUrl?: string
}

export interface Cluster {
  /** The load balancer, and the issuer of every token. */
  readonly lb: RoundRobinProxy
  readonly servers: ClusterProcess[]
  /** The env of every server process; pass it to `runCli` to act on the same deployment. */
  readonly env: Readonly<Record<string, string>>
  readonly keyPrefix: string
  /** Starts one more server on the shared state (added to the load balancer). */
  startServer(): Promise<ClusterProcess>
  startGuard(options?: GuardProcessOptions): Promise<ClusterProcess>
  /** Removes a server from the load balancer (it is not stopped). */
  detach(server: ClusterProcess): void
  close(): Promise<void>
}

export interface ClusterOptions {
  readonly databaseUrl: string
  readonly redisUrl: string
  readonly servers?: number
  /** Extra TESSERA_* settings for every server. */
  readonly env?: Record<string, string>
}

/**
 * Starts the deployment. Every server shares `TESSERA_SECRET` (refresh-token tags and key encryption
 * derive from it, so instances must agree on it, as docs/deploy.md says).
 *
 * @example
 * const cluster = await startCluster({ databaseUrl, redisUrl })
 * const guard = await cluster.startGuard()
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const database = new TestDatabase(options.databaseUrl)
  const schema = freshSchemaName()
  await database.createSchema(schema)
  const admin = createRedisConnection(options.redisUrl, { name: 'cluster-test' })
  const scope = openRedisTestScope(admin)
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-cluster-'))
  const lb = await startRoundRobinProxy([])
  const processes: ClusterProcess[] = []
  const servers: ClusterProcess[] = []
  const env: Record<string, string> = {
    TESSERA_DATABASE_URL: urlWithSearchPath(options.databaseUrl, schema),
    TESSERA_REDIS_URL: options.redisUrl,
    TESSERA_REDIS_KEY_PREFIX: scope.keyPrefix,
    TESSERA_SECRET: randomBytes(32).toString('base64url'),
    TESSERA_ISSUER: lb.url,
    TESSERA_ACCESS_TOKEN_AUDIENCES: CLUSTER_AUDIENCE,
    TESSERA_DATA_DIR: dataDir,
    TESSERA_PORT: '0',
    TESSERA_LOG_LEVEL: 'warn',
    TESSERA_THROTTLE_SIGNUP_PER_IP_LIMIT: '10000',
    ...options.env,
  }

  const startServer = async (): Promise<ClusterProcess> => {
    const started = await spawnListening([join(REPO, 'bin/tessera.mjs'), 'serve'], { ...process.env, ...env })
    processes.push(started)
    servers.push(started)
    lb.setUpstreams(servers.map((server) => server.url))
    return started
  }
  try {
    // One first, so the second finds the key ring made (both would agree anyway; this keeps logs quiet).
    await startServer()
    for (let i = 1; i < (options.servers ?? 2); i += 1) await startServer()
  } catch (error) {
    await Promise.all(processes.map((child) => stopProcess(child.child)))
    throw error
  }

  return {
    lb,
    servers,
    env,
    keyPrefix: scope.keyPrefix,
    startServer,
    startGuard: async (guardOptions = {}) => {
      const started = await spawnListening(['--import', 'tsx', GUARD_SCRIPT], {
        ...process.env,
        ISSUER: lb.url,
        AUDIENCE: CLUSTER_AUDIENCE,
        REDIS_URL: guardOptions.redisUrl ?? options.redisUrl,
        REDIS_KEY_PREFIX: scope.keyPrefix,
        FAIL_MODE: guardOptions.failMode ?? 'closed',
        MAX_SILENCE_SECONDS: String(guardOptions.maxSilenceSeconds ?? 15),
        ...(guardOptions.jwksCooldownSeconds === undefined
          ? {}
          : { JWKS_COOLDOWN_SECONDS: String(guardOptions.jwksCooldownSeconds) }),
      })
      processes.push(started)
      return started
    },
    detach: (server) => {
      lb.setUpstreams(servers.filter((other) => other !== server).map((other) => other.url))
    },
    close: async () => {
      await Promise.all(processes.map((started) => stopProcess(started.child)))
      await lb.close()
      await scope.dropKeys().catch(() => 0)
      admin.disconnect()
      await database.dropSchema(schema)
      await database.admin.end()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** `GET /_guard/health` of a guard process. */
export async function guardHealth(guard: ClusterProcess): Promise<{
  keys: { count: number; kids: string[] }
  revocation: { state: string; connected: boolean }
}> {
  const response = await fetch(`${guard.url}/_guard/health`)
  return (await response.json()) as Awaited<ReturnType<typeof guardHealth>>
}

/**
 * Polls `check` every 20 ms until it is true; resolves the milliseconds it took, rejects after `timeoutMs`.
 *
 * @example
 * const ms = await waitUntil(async () => (await fetch(url)).status === 401, 2000)
 */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const startedAt = performance.now()
  for (;;) {
    if (await check()) return performance.now() - startedAt
    if (performance.now() - startedAt > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
