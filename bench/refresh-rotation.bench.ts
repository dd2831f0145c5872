/**
 * Refresh-token rotation throughput, Tessera vs oidc-provider 9.13.3 (`rotateRefreshToken: true`), side by
 * side in one run on one database kind at a time: SQLite (a WAL file each) and PostgreSQL (a fresh
 * `tessera_bench_<random>` database each, dropped at the end; the suite is skipped, loudly, when PostgreSQL
 * is unreachable). Target: Tessera ≥ 3× oidc-provider's rotations/s.
 *
 * Each server runs in a child process of its own (bench/support/forked-server.ts); the load generator runs
 * here: 16 clients, each holding its own session's refresh token, loop refresh → successor → refresh over
 * keep-alive HTTP on loopback. Tessera: `POST /v1/refresh` in native mode (JSON, token in the body).
 * oidc-provider: `POST /token` with `grant_type=refresh_token` for a public client (no client authentication,
 * like Tessera's first-party client). Its initial refresh tokens come from a real authorization-code flow
 * with PKCE through its interaction API (bench/support/oidc-code-flow.ts); its database adapters are
 * bench/support/oidc-sqlite-store.ts and oidc-postgres-store.ts, its configuration
 * bench/support/oidc-provider-server.ts. Tessera's come from `POST /v1/signup`.
 *
 * Rounds of 1 s alternate the order (Tessera first, then oidc-provider first, …) so load from elsewhere hits
 * both; a case's ratio is the median of the per-round ratios. "CPU" is the server child's CPU time per
 * rotation (all its threads; the PostgreSQL server's own CPU is not included). Any failed refresh is counted,
 * reported, and takes its client out of the loop (its chain is broken). `--time=MS`: measured time per case
 * (default 8000, in rounds of 1 s). JSON: stdout and bench/results/refresh-rotation.json.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { type BenchDefinition, type CaseResult, formatSuite, type SuiteResult } from './harness.ts'
import { measureMsFromArgs, median, startRun, writeBenchJson } from './support/bench-report.ts'
import { type ForkedServer, forkServer } from './support/forked-server.ts'
import { LoopbackClient, stringMember } from './support/loopback-http.ts'
import { obtainOidcRefreshToken } from './support/oidc-code-flow.ts'
import { OIDC_CLIENT_ID } from './support/oidc-provider-server.ts'
import { type BenchDatabase, connectBenchPostgres } from './support/postgres-database.ts'

const CLIENTS = 16
const ROUND_MS = 1000
const WARMUP_MS = 1500
const TARGET_RATIO = 3
const PASSWORD = 'correct horse battery staple'
const TESSERA = 'Tessera POST /v1/refresh'
const OIDC = 'oidc-provider refresh_token grant'

type DatabaseKind = 'SQLite' | 'PostgreSQL'
type Rotation = { readonly token: string } | { readonly failure: string }

interface Contender {
  readonly name: string
  readonly server: ForkedServer
  readonly http: LoopbackClient
  /** One live refresh token per client; undefined once a failure broke that client's chain. */
  readonly chains: (string | undefined)[]
  rotate(token: string): Promise<Rotation>
}

interface Sample {
  readonly rate: number
  readonly cpuNsPerOp: number
  readonly rotations: number
  readonly failures: number
}

const rotationFrom = (status: number, text: string): Rotation => {
  const token = status === 200 ? stringMember(text, 'refresh_token') : undefined
  return token === undefined ? { failure: `${status} ${text.slice(0, 200)}` } : { token }
}

async function startTessera(scratch: string, databaseUrl: string | undefined): Promise<Contender> {
  const env: Record<string, string> = {
    TESSERA_HOST: '127.0.0.1',
    TESSERA_PORT: '0',
    TESSERA_DATA_DIR: join(scratch, 'tessera'),
    TESSERA_LOG_LEVEL: 'silent',
    // 16 sign-ups from one loopback address; refresh itself has no throttle.
    TESSERA_THROTTLE_SIGNUP_PER_IP_LIMIT: '1000000',
    ...(databaseUrl === undefined ? {} : { TESSERA_DATABASE_URL: databaseUrl }),
  }
  const server = await forkServer({ kind: 'tessera', env, cwd: scratch })
  const http = new LoopbackClient(server.url, { connections: CLIENTS })
  const signUp = async (at: number): Promise<string> => {
    const reply = await http.postJson('/v1/signup', {
      email: `rotation-${at}@bench.test`,
      password: PASSWORD,
    })
    const token = stringMember(reply.text, 'refresh_token')
    if (reply.status !== 201 || token === undefined) throw new Error(`Tessera signup: ${reply.status}`)
    return token
  }
  const chains = await Promise.all(Array.from({ length: CLIENTS }, (_, at) => signUp(at))).catch(
    async (error: unknown) => {
      await server.close()
      throw error
    },
  )
  const rotate = async (token: string): Promise<Rotation> => {
    const reply = await http.postJson('/v1/refresh', { refresh_token: token })
    return rotationFrom(reply.status, reply.text)
  }
  return { name: TESSERA, server, http, chains, rotate }
}

async function startOidcProvider(scratch: string, databaseUrl: string | undefined): Promise<Contender> {
  const accounts = Array.from({ length: CLIENTS }, (_, at) => ({
    id: `acct_${at}`,
    email: `rotation-${at}@bench.test`,
  }))
  const database =
    databaseUrl === undefined
      ? { kind: 'sqlite' as const, file: join(scratch, 'oidc-provider.db') }
      : { kind: 'postgres' as const, url: databaseUrl }
  const server = await forkServer({ kind: 'oidc-provider', database, accounts })
  const http = new LoopbackClient(server.url, { connections: CLIENTS })
  const chains: (string | undefined)[] = []
  try {
    for (const { id } of accounts) chains.push(await obtainOidcRefreshToken(server.url, id))
  } catch (error) {
    await server.close()
    throw error
  }
  const rotate = async (token: string): Promise<Rotation> => {
    const fields = { grant_type: 'refresh_token', refresh_token: token, client_id: OIDC_CLIENT_ID }
    const reply = await http.postForm('/token', fields)
    return rotationFrom(reply.status, reply.text)
  }
  return { name: OIDC, server, http, chains, rotate }
}

const failureLog: string[] = []

// Every client loops until the deadline; the round lasts until the last response arrived.
async function drive(contender: Contender, ms: number): Promise<Sample> {
  const cpuBefore = contender.server.processCpuMs() ?? 0
  const startedAt = performance.now()
  const deadline = startedAt + ms
  let rotations = 0
  let failures = 0
  await Promise.all(
    contender.chains.map(async (_, client) => {
      for (let token = contender.chains[client]; token !== undefined && performance.now() < deadline; ) {
        const outcome = await contender.rotate(token).catch((error: unknown) => ({ failure: String(error) }))
        if ('token' in outcome) rotations += 1
        else {
          failures += 1
          if (failureLog.length < 20) failureLog.push(`${contender.name}: ${outcome.failure}`)
        }
        token = 'token' in outcome ? outcome.token : undefined
        contender.chains[client] = token
      }
    }),
  )
  const elapsedMs = performance.now() - startedAt
  const cpuMs = (contender.server.processCpuMs() ?? 0) - cpuBefore
  return { rate: (rotations * 1000) / elapsedMs, cpuNsPerOp: (cpuMs * 1e6) / rotations, rotations, failures }
}

function toCase(name: string, own: readonly Sample[], base: readonly Sample[]): CaseResult {
  const opsPerSecond = median(own.map((s) => s.rate))
  return {
    name,
    opsPerSecond,
    nsPerOp: 1e9 / opsPerSecond,
    ratioToBaseline: median(own.map((s, round) => s.rate / (base[round]?.rate ?? Number.NaN))),
    cpuNsPerOp: median(own.map((s) => s.cpuNsPerOp)),
    cpuRatioToBaseline: median(own.map((s, round) => (base[round]?.cpuNsPerOp ?? Number.NaN) / s.cpuNsPerOp)),
    iterations: own.reduce((sum, s) => sum + s.rotations, 0),
    roundOpsPerSecond: own.map((s) => s.rate),
    roundCpuNsPerOp: own.map((s) => s.cpuNsPerOp),
  }
}

interface KindResult extends SuiteResult {
  readonly failures: Readonly<Record<string, number>>
  readonly targetMet: boolean
}

async function runKind(
  kind: DatabaseKind,
  databaseUrls: readonly [string, string] | undefined,
): Promise<KindResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'tessera-bench-rotation-'))
  const contenders: Contender[] = []
  try {
    contenders.push(await startTessera(scratch, databaseUrls?.[0]))
    contenders.push(await startOidcProvider(scratch, databaseUrls?.[1]))
    const [tessera, oidc] = contenders as [Contender, Contender]
    for (const contender of contenders) await drive(contender, WARMUP_MS)
    const samples = new Map<Contender, Sample[]>([
      [tessera, []],
      [oidc, []],
    ])
    const rounds = Math.max(2, Math.round(measureMsFromArgs(8000) / ROUND_MS))
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [tessera, oidc] : [oidc, tessera]
      for (const contender of order) samples.get(contender)?.push(await drive(contender, ROUND_MS))
    }
    const tesseraSamples = samples.get(tessera) ?? []
    const oidcSamples = samples.get(oidc) ?? []
    const tesseraCase = toCase(TESSERA, tesseraSamples, oidcSamples)
    const failures = Object.fromEntries(
      [...samples].map(([c, s]) => [c.name, s.reduce((sum, sample) => sum + sample.failures, 0)]),
    )
    return {
      name: `${kind}: refresh rotations/s, ${CLIENTS} clients, ${rounds} rounds of ${ROUND_MS} ms`,
      baseline: OIDC,
      note: `target: Tessera ≥ ${TARGET_RATIO}× oidc-provider (CPU = the server child's CPU per rotation)`,
      cases: [toCase(OIDC, oidcSamples, oidcSamples), tesseraCase],
      failures,
      targetMet: tesseraCase.ratioToBaseline >= TARGET_RATIO && Object.values(failures).every((n) => n === 0),
    }
  } finally {
    for (const contender of contenders) contender.http.close()
    await Promise.all(contenders.map((contender) => contender.server.close()))
    rmSync(scratch, { recursive: true, force: true })
  }
}

async function runAll(): Promise<void> {
  const context = startRun()
  const suites: KindResult[] = []
  const skipped: string[] = []
  suites.push(await runKind('SQLite', undefined))
  const postgres = await connectBenchPostgres()
  if ('unreachable' in postgres) {
    const message = `PostgreSQL unreachable (${postgres.unreachable}): the PostgreSQL suite is SKIPPED`
    console.error(`\n${'!'.repeat(100)}\n!!! refresh-rotation: ${message}\n${'!'.repeat(100)}`)
    skipped.push(message)
  } else {
    const databases: BenchDatabase[] = []
    try {
      for (let count = 0; count < 2; count++) databases.push(await postgres.createDatabase())
      const urls = [databases[0]?.url ?? '', databases[1]?.url ?? ''] as const
      suites.push(await runKind('PostgreSQL', urls))
    } finally {
      for (const database of databases) await database.drop()
      await postgres.close()
    }
  }
  for (const suite of suites) {
    const failed = Object.entries(suite.failures).filter(([, count]) => count > 0)
    const verdict = suite.targetMet ? 'MET' : 'NOT MET'
    console.log(`\n${formatSuite(suite)}\ntarget ${TARGET_RATIO}×: ${verdict}`)
    if (failed.length > 0) console.log(`FAILED REFRESHES: ${failed.map(([n, c]) => `${n}: ${c}`).join(', ')}`)
  }
  if (failureLog.length > 0) console.log(`first failures:\n  ${failureLog.join('\n  ')}`)
  writeBenchJson('refresh-rotation', context, {
    clients: CLIENTS,
    roundMs: ROUND_MS,
    suites,
    skipped,
    failureLog,
  })
}

const definition: BenchDefinition = {
  name: 'Refresh-token rotation throughput over HTTP: Tessera vs oidc-provider, on SQLite and on PostgreSQL',
  // runAll drives the servers over HTTP and prints its own tables and JSON; the harness times nothing here.
  suites: async () => {
    await runAll()
    return []
  },
}

export default definition
