/**
 * Login throughput against the argon2id limit, and what a login storm does to everyone else's requests.
 * Targets: logins/s ≥ 90% of the hashes/s this machine can do with the server's own hasher, and `GET /v1/me`
 * p99 during the storm ≤ 2× its p99 without it.
 *
 * Every round has three phases of 3 s, in this order:
 * 1. limit: the server's own `PasswordHasher` (same argon2id parameters, the configured `hashConcurrency`) in
 *    this process, with twice that many verifies always waiting: hashes/s, the ceiling for logins/s;
 * 2. quiet: Tessera (SQLite, a child process of its own) serving only a light, steady `GET /v1/me` load: an
 *    open loop of 100 requests/s with valid access tokens of 16 users, so a slow answer never delays the
 *    next request (no coordinated omission);
 * 3. storm: the same /me load, plus `POST /v1/login` with correct passwords on 4 × hashConcurrency
 *    connections of their own, back to back: logins/s and /me latency.
 * The ratios are paired per round, then the median; the /me percentiles pool every round's requests. The
 * server child also reports its event-loop delay and utilisation, and its main thread's CPU beside the whole
 * process's, which say whether a slow /me waited on a busy event loop or for a core. Throttles are raised so the
 * benchmark measures work, not 429s. `TESSERA_PASSWORDS_HASH_CONCURRENCY` and `UV_THREADPOOL_SIZE` in the
 * environment reach both the hasher here and the server. `--time=MS`: measured time per phase (default
 * 15000, rounds of 3 s). JSON: stdout and bench/results/login-storm.json.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { loadConfig } from '../packages/server/src/config/load-config.ts'
import { PasswordHasher } from '../packages/server/src/domain/password-hasher.ts'
import type { BenchDefinition } from './harness.ts'
import { measureMsFromArgs, startRun, writeBenchJson } from './support/bench-report.ts'
import { type ForkedServer, forkServer } from './support/forked-server.ts'
import { type Phase, type Round, roundsForJson, summarizeLoginStorm } from './support/login-storm-report.ts'
import { LoopbackClient, stringMember } from './support/loopback-http.ts'

const PHASE_MS = 3000
const USERS = 16
const ME_PER_SECOND = 100
const PASSWORD = 'correct horse battery staple'

async function measureHashLimit(hasher: PasswordHasher, stored: string, ms: number, workers: number) {
  const deadline = performance.now() + ms
  const startedAt = performance.now()
  let verified = 0
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < deadline) {
        if (!(await hasher.verify(stored, PASSWORD))) throw new Error('hash limit: verify returned false')
        verified += 1
      }
    }),
  )
  return (verified * 1000) / (performance.now() - startedAt)
}

// Open loop: request n leaves at start + n / rate whatever happened to the earlier ones.
async function paceMe(http: LoopbackClient, tokens: readonly string[], ms: number) {
  const total = Math.round((ms / 1000) * ME_PER_SECOND)
  const latencies: number[] = []
  let failures = 0
  const one = async (token: string | undefined): Promise<void> => {
    const sentAt = performance.now()
    const reply = await http.send({
      method: 'GET',
      path: '/v1/me',
      headers: { authorization: `Bearer ${token}` },
    })
    if (reply.status === 200) latencies.push(performance.now() - sentAt)
    else failures += 1
  }
  const pending: Promise<void>[] = []
  const startedAt = performance.now()
  for (let sent = 0; sent < total; sent++) {
    const wait = startedAt + (sent * 1000) / ME_PER_SECOND - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    pending.push(one(tokens[sent % tokens.length]).catch(() => void failures++))
  }
  await Promise.all(pending)
  return { latencies, failures }
}

async function storm(http: LoopbackClient, connections: number, ms: number) {
  const deadline = performance.now() + ms
  let logins = 0
  let failures = 0
  await Promise.all(
    Array.from({ length: connections }, async (_, connection) => {
      for (let at = connection; performance.now() < deadline; at += connections) {
        const body = { email: `storm-${at % USERS}@bench.test`, password: PASSWORD }
        const reply = await http.postJson('/v1/login', body).catch(() => ({ status: 0, text: '' }))
        if (reply.status === 200) logins += 1
        else failures += 1
      }
    }),
  )
  return { logins, failures }
}

async function runPhase(
  server: ForkedServer,
  me: LoopbackClient,
  tokens: string[],
  load?: () => ReturnType<typeof storm>,
): Promise<Phase> {
  const cpuBefore = [server.processCpuMs() ?? 0, server.mainThreadCpuMs() ?? 0]
  server.resetLoopStats()
  const clientDelay = monitorEventLoopDelay({ resolution: 1 })
  clientDelay.enable()
  const clientCpuBefore = process.cpuUsage()
  const startedAt = performance.now()
  const [meResult, stormResult] = await Promise.all([
    paceMe(me, tokens, PHASE_MS),
    load?.() ?? Promise.resolve({ logins: 0, failures: 0 }),
  ])
  const elapsedMs = performance.now() - startedAt
  const clientCpu = process.cpuUsage(clientCpuBefore)
  clientDelay.disable()
  const loop = await server.readLoopStats()
  const processCpuMs = (server.processCpuMs() ?? 0) - (cpuBefore[0] ?? 0)
  const mainCpuMs = (server.mainThreadCpuMs() ?? 0) - (cpuBefore[1] ?? 0)
  return {
    meLatenciesMs: meResult.latencies,
    meFailures: meResult.failures,
    logins: stormResult.logins,
    loginFailures: stormResult.failures,
    loginsPerSecond: (stormResult.logins * 1000) / elapsedMs,
    loop,
    clientLoopDelayP99Ms: clientDelay.percentile(99) / 1e6,
    clientCpuCores: (clientCpu.user + clientCpu.system) / 1000 / elapsedMs,
    serverCpuCores: processCpuMs / elapsedMs,
    mainThreadCpuCores: mainCpuMs / elapsedMs,
  }
}

async function signUpUsers(http: LoopbackClient): Promise<string[]> {
  return Promise.all(
    Array.from({ length: USERS }, async (_, at) => {
      const reply = await http.postJson('/v1/signup', { email: `storm-${at}@bench.test`, password: PASSWORD })
      const token = stringMember(reply.text, 'access_token')
      if (reply.status !== 201 || token === undefined)
        throw new Error(`signup: ${reply.status} ${reply.text}`)
      return token
    }),
  )
}

async function runAll(): Promise<void> {
  const context = startRun()
  const scratch = mkdtempSync(join(tmpdir(), 'tessera-bench-login-'))
  const env: Record<string, string> = {
    TESSERA_HOST: '127.0.0.1',
    TESSERA_PORT: '0',
    TESSERA_DATA_DIR: join(scratch, 'data'),
    TESSERA_LOG_LEVEL: 'silent',
    TESSERA_THROTTLE_SIGNUP_PER_IP_LIMIT: '1000000',
    TESSERA_THROTTLE_LOGIN_PER_IP_LIMIT: '1000000',
    TESSERA_THROTTLE_LOGIN_PER_ACCOUNT_LIMIT: '1000000',
  }
  for (const name of ['TESSERA_PASSWORDS_HASH_CONCURRENCY', 'TESSERA_PASSWORDS_HASH_QUEUE_LIMIT']) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  const { hashConcurrency, hashQueueLimit } = loadConfig({ env, cwd: scratch }).passwords
  const connections = 4 * hashConcurrency
  if (connections > hashQueueLimit + hashConcurrency)
    console.warn('login-storm: the hash queue will shed logins (503)')
  const hasher = new PasswordHasher({ concurrency: hashConcurrency, queueLimit: 2 * hashConcurrency })
  const stored = await hasher.hash(PASSWORD)
  const server = await forkServer({ kind: 'tessera', env, cwd: scratch })
  const me = new LoopbackClient(server.url, { connections: 16 })
  const logins = new LoopbackClient(server.url, { connections })
  const rounds: Round[] = []
  try {
    const tokens = await signUpUsers(logins)
    const stormLoad = () => storm(logins, connections, PHASE_MS)
    // Warm-up: one of each phase, unrecorded.
    await measureHashLimit(hasher, stored, 1000, 2 * hashConcurrency)
    await runPhase(server, me, tokens)
    await runPhase(server, me, tokens, stormLoad)
    const roundCount = Math.max(2, Math.round(measureMsFromArgs(15_000) / PHASE_MS))
    for (let round = 0; round < roundCount; round++) {
      const hashesPerSecond = await measureHashLimit(hasher, stored, PHASE_MS, 2 * hashConcurrency)
      const quiet = await runPhase(server, me, tokens)
      rounds.push({ hashesPerSecond, quiet, storm: await runPhase(server, me, tokens, stormLoad) })
    }
  } finally {
    me.close()
    logins.close()
    await server.close()
    rmSync(scratch, { recursive: true, force: true })
  }
  const { summary, table } = summarizeLoginStorm(rounds, { hashConcurrency, loginConnections: connections })
  const heading = `${rounds.length} rounds of ${PHASE_MS} ms phases, /me at ${ME_PER_SECOND}/s`
  console.log(
    `\n## Login storm: ${heading}, hashConcurrency ${hashConcurrency}, ${connections} login connections`,
  )
  console.log(table)
  const setup = { phaseMs: PHASE_MS, users: USERS, mePerSecond: ME_PER_SECOND }
  writeBenchJson('login-storm', context, { ...setup, summary, rounds: roundsForJson(rounds) })
}

const definition: BenchDefinition = {
  name: 'Login storm over HTTP: logins/s vs the argon2id limit, and GET /v1/me latency under it',
  // runAll drives the server over HTTP and prints its own table and JSON; the harness times nothing here.
  suites: async () => {
    await runAll()
    return []
  },
}

export default definition
