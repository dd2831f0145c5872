/**
 * Routes behind auth under HTTP load, side by side in one run: autocannon (10 connections, in a worker thread)
 * against servers in this process on loopback, each request with one of 1,000 distinct live tokens, reused
 * round-robin (the route without auth gets the same header). Fastify, EdDSA: no auth vs the guard, target
 * ≥ 85%. Express, ES256 (express-jwt's jsonwebtoken 9 has no EdDSA): no auth, the guard,
 * express-oauth2-jwt-bearer and express-jwt. Each checks issuer, audience, expiry and scope; the
 * guard also follows a revocation feed of 1,000 revoked sessions, served with the JWKS by a loopback stub.
 * `runHttpSuite` is the harness's method over HTTP; its JSON goes to stdout and bench/results/http-guard.json.
 * `--time=MS` sets the measured time per case, in rounds of 1 s (default 6000; autocannon runs whole seconds).
 */
import { once } from 'node:events'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type RequestListener } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { cpus, loadavg } from 'node:os'
import express from 'express'
import { expressjwt } from 'express-jwt'
import Fastify from 'fastify'
import {
  exportPublicJwk,
  generateSigningKey,
  importVerificationJwk,
  type SigningKey,
  signAccessToken,
  systemClock,
} from '../packages/core/src/index.ts'
import { createGuard, type Guard } from '../packages/guard/src/index.ts'
import { type BenchDefinition, type CaseResult, formatSuite, type SuiteResult } from './harness.ts'

const audience = 'orders-api'
const scope = 'orders:read'
const tokenCount = 1000
const orders = Object.freeze({ orders: [] })
const guardClient = { id: 'bench-http', secret: 'bench-http-secret' }
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })
const ordersRequest = (token: string) => ({ method: 'GET' as const, path: '/orders', headers: bearer(token) })

/** One request of autocannon's `requests` sequence: plain data, so it can cross into the worker thread. */
export type HttpRequestSpec = Readonly<{ method: 'GET'; path: string; headers: Record<string, string> }>

export interface HttpSuite {
  readonly name: string
  readonly baseline: string
  readonly note?: string
  /** Every connection walks this sequence in order, again and again. */
  readonly requests: readonly HttpRequestSpec[]
  /** Each case is a server in this process, at the origin `url`. */
  readonly cases: readonly { readonly name: string; readonly url: string }[]
}

export interface HttpTiming {
  /** One unmeasured run per case first (JIT, first-sight token caches). */
  readonly warmupMs: number
  /** Measured time per case, split evenly across the rounds. */
  readonly measureMs: number
  readonly rounds: number
  readonly connections: number
}

/** A harness case result. Its CPU columns count the whole process, autocannon's worker thread included. */
export interface HttpCaseResult extends CaseResult {
  /** CPU time of the server thread alone per request (event-loop busy time where /proc is missing). */
  readonly serverCpuNsPerRequest: number
  /** Median over the rounds of (baseline server CPU per request ÷ this case's): the read on a busy machine. */
  readonly serverCpuRatioToBaseline: number
  /** Share of the time the server's event loop was busy; well under 100%: something else was the limit. */
  readonly serverUtilization: number
}

export interface HttpSuiteResult extends SuiteResult {
  readonly cases: readonly HttpCaseResult[]
}

const require = createRequire(import.meta.url)
// autocannon ships no types. express-oauth2-jwt-bearer's typings declare `auth` on every Express Request of the
// program, which clashes with the guard's `req.auth` type (see the issue 3 notes), so it comes in untyped too.
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<unknown>
const { auth, requiredScopes } = require('express-oauth2-jwt-bearer') as {
  auth(options: Record<string, unknown>): express.RequestHandler
  requiredScopes(scopes: string): express.RequestHandler
}

function numberAt(value: unknown, ...path: string[]): number {
  let current = value
  for (const key of path)
    current = typeof current === 'object' && current !== null ? Reflect.get(current, key) : undefined
  if (typeof current !== 'number' || !Number.isFinite(current)) throw new Error(`autocannon: no ${path}`)
  return current
}

// The main thread's own CPU time (Linux: utime + stime of /proc/self/task/<pid>/stat, in 10 ms ticks). Other
// processes on a shared machine slow the wall clock far more than this. Node 20 has no threadCpuUsage().
function serverThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

async function measure(url: string, requests: readonly HttpRequestSpec[], ms: number, connections: number) {
  const cpuBefore = process.cpuUsage()
  const threadBefore = serverThreadCpuMs()
  const loopBefore = performance.eventLoopUtilization()
  // The load generator runs in a worker thread, off the event loop of the servers it measures. autocannon
  // runs whole seconds.
  const duration = Math.max(1, Math.round(ms / 1000))
  const result = await autocannon({ url, connections, workers: 1, duration, requests })
  const loop = performance.eventLoopUtilization(loopBefore)
  const cpu = process.cpuUsage(cpuBefore)
  const threadAfter = serverThreadCpuMs()
  const serverMs =
    threadBefore === undefined || threadAfter === undefined ? loop.active : threadAfter - threadBefore
  const failed = ['non2xx', 'errors', 'timeouts'].map((key) => numberAt(result, key))
  // A contender that refuses or drops requests must never look fast.
  if (failed.some((n) => n > 0)) throw new Error(`${url}: ${failed.join('/')} non-2xx/errors/timeouts`)
  const total = numberAt(result, 'requests', 'total')
  return {
    rate: total / numberAt(result, 'duration'),
    cpuNs: ((cpu.user + cpu.system) * 1000) / total,
    serverNs: (serverMs * 1e6) / total,
    requests: total,
    utilization: loop.utilization,
  }
}

type Sample = Awaited<ReturnType<typeof measure>>

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

/**
 * The harness's method over HTTP: one warm-up run per case, then `rounds` rounds of autocannon runs of
 * `measureMs / rounds` each, the case order rotating every round; ratios are paired per round, then the
 * median. Rejects if any response is not 2xx.
 *
 * @example
 * const result = await runHttpSuite(suite, { warmupMs: 1000, measureMs: 4000, rounds: 4, connections: 10 })
 * console.log(`${formatSuite(result)}\n${formatHttpDetails(result)}`)
 */
export async function runHttpSuite(suite: HttpSuite, timing: HttpTiming): Promise<HttpSuiteResult> {
  const { requests, cases, ...heading } = suite
  if (!cases.some((httpCase) => httpCase.name === suite.baseline))
    throw new Error(`suite ${suite.name}: baseline ${suite.baseline} is not one of its cases`)
  const run = (url: string, ms: number): Promise<Sample> => measure(url, requests, ms, timing.connections)
  for (const { url } of cases) await run(url, timing.warmupMs)
  const samples = new Map<string, Sample[]>(cases.map((httpCase) => [httpCase.name, []]))
  for (let round = 0; round < timing.rounds; round++) {
    for (let offset = 0; offset < cases.length; offset++) {
      const httpCase = cases[(round + offset) % cases.length]
      if (httpCase !== undefined)
        samples.get(httpCase.name)?.push(await run(httpCase.url, timing.measureMs / timing.rounds))
    }
  }
  const base = samples.get(suite.baseline) ?? []
  const results = cases.map(({ name }): HttpCaseResult => {
    const own = samples.get(name) ?? []
    const of = (read: (sample: Sample) => number): number => median(own.map(read))
    const paired = (ratio: (mine: Sample, theirs: Sample) => number): number =>
      median(own.map((sample, round) => ratio(sample, base[round] ?? sample)))
    return {
      name,
      opsPerSecond: of((s) => s.rate),
      nsPerOp: 1e9 / of((s) => s.rate),
      ratioToBaseline: paired((mine, theirs) => mine.rate / theirs.rate),
      cpuNsPerOp: of((s) => s.cpuNs),
      cpuRatioToBaseline: paired((mine, theirs) => theirs.cpuNs / mine.cpuNs),
      iterations: own.reduce((sum, sample) => sum + sample.requests, 0),
      roundOpsPerSecond: own.map((s) => s.rate),
      roundCpuNsPerOp: own.map((s) => s.cpuNs),
      serverCpuNsPerRequest: of((s) => s.serverNs),
      serverCpuRatioToBaseline: paired((mine, theirs) => theirs.serverNs / mine.serverNs),
      serverUtilization: of((s) => s.utilization),
    }
  })
  return { ...heading, cases: results }
}

/**
 * The HTTP-only columns, printed under a suite's harness table: the server thread's own CPU and load.
 *
 * @example
 * console.log(`${formatSuite(result)}\n${formatHttpDetails(result)}`)
 */
export function formatHttpDetails(result: HttpSuiteResult): string {
  const header = ['case', 'server CPU µs/req', 'vs baseline (server CPU)', 'server loop busy']
  const rows = result.cases.map((c) => [
    c.name,
    (c.serverCpuNsPerRequest / 1000).toFixed(1),
    `${(c.serverCpuRatioToBaseline * 100).toFixed(1)}%`,
    `${(c.serverUtilization * 100).toFixed(0)}%`,
  ])
  const widths = header.map((title, at) => Math.max(title.length, ...rows.map((row) => row[at]?.length ?? 0)))
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, at) => (at === 0 ? cell.padEnd(widths[at] ?? 0) : cell.padStart(widths[at] ?? 0)))
      .join('  ')
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n')
}

type Running = Readonly<{ url: string; close: () => Promise<void> }>

async function listen(listener: RequestListener): Promise<Running> {
  const server = createServer(listener)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

// What a Tessera issuer offers resource servers (docs/guard-protocol.md): the JWKS, and the revocation feed, a
// snapshot of 1,000 revoked sessions and then a ping every 5 s, so the guard never fails closed.
async function startIssuerStub(keys: readonly SigningKey[]): Promise<Running> {
  const jwks = JSON.stringify({ keys: keys.map((key) => exportPublicJwk(key)) })
  const sessions = Array.from({ length: 1000 }, (_, index) => ({ sid: `ses_${index}_gone`, sub: 'u', at: 1 }))
  const snapshot = JSON.stringify({ sessions, users: [], window_seconds: 905 })
  return listen((request, response) => {
    if (request.url === '/.well-known/jwks.json')
      return void response.writeHead(200, { 'content-type': 'application/json' }).end(jwks)
    if (request.url !== '/v1/revocations') return void response.writeHead(404).end()
    response.writeHead(200, { 'content-type': 'text/event-stream' })
    response.write(`id: s-0\nevent: snapshot\ndata: ${snapshot}\n\n`)
    const ping = `id: s-1\nevent: ping\ndata: {"at":1}\n\n`
    const pings = setInterval(() => response.write(ping), 5000)
    response.on('close', () => clearInterval(pings))
  })
}

function mintTokens(issuer: string, key: SigningKey): string[] {
  const now = systemClock.nowSeconds()
  const common = { iss: issuer, aud: [issuer, audience], exp: now + 900, iat: now, client_id: 'web' }
  const scopes = 'openid orders:read orders:write'
  return Array.from({ length: tokenCount }, (_, at) =>
    signAccessToken(
      { ...common, sub: `usr_${at}`, jti: `jti_${key.alg}_${at}`, sid: `ses_${at}`, scope: scopes },
      key,
    ),
  )
}

async function startFastify(guard?: Guard): Promise<Running> {
  const app = Fastify()
  const handler = async (): Promise<typeof orders> => orders
  if (guard === undefined) app.get('/orders', handler)
  else app.get('/orders', { preHandler: guard.fastify({ scope }) }, handler)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() }
}

async function startExpress(...checks: express.RequestHandler[]): Promise<Running> {
  const app = express()
  app.get('/orders', ...checks, (_request: express.Request, response: express.Response) => {
    response.json(orders)
  })
  // express-jwt and express-oauth2-jwt-bearer refuse by passing an error on; answer without a stack trace.
  app.use((error: unknown, _request: express.Request, response: express.Response, _next: unknown) => {
    const status = typeof error === 'object' && error !== null ? Reflect.get(error, 'status') : undefined
    response.status(typeof status === 'number' ? status : 500).end()
  })
  return listen(app)
}

// express-jwt has no JWKS support of its own (users add jwks-rsa): keys by `kid` from the issuer's JWKS,
// fetched once, stand in for it. It checks no scope either, so a one-line check follows it.
async function expressJwtChecks(issuer: string): Promise<express.RequestHandler[]> {
  const jwks: unknown = await (await fetch(`${issuer}/.well-known/jwks.json`)).json()
  const listed: unknown = typeof jwks === 'object' && jwks !== null ? Reflect.get(jwks, 'keys') : undefined
  const imported = (Array.isArray(listed) ? listed : []).map((jwk: unknown) => importVerificationJwk(jwk))
  const keys = new Map(imported.map((key) => [key.kid, key.key]))
  const verify = expressjwt({
    secret: (_request, token) => keys.get(String(token?.header.kid)),
    algorithms: ['ES256'],
    issuer,
    audience,
  })
  const requireScope: express.RequestHandler = (request, response, next) => {
    const claims: unknown = Reflect.get(request, 'auth')
    const granted = typeof claims === 'object' && claims !== null ? Reflect.get(claims, 'scope') : undefined
    if (typeof granted === 'string' && granted.split(' ').includes(scope)) next()
    else response.status(403).end()
  }
  return [verify, requireScope]
}

type Contender = Readonly<{ name: string; server: Running }>

/** One suite to run: its contenders already listen; the first, the baseline, is the only one without auth. */
type Comparison = Readonly<{ name: string; note: string; tokens: string[]; contenders: Contender[] }>

// Before any number means something, every route must answer a token with 200, and every route but the
// baseline must refuse a request without one. The servers close whatever happens.
async function compare(comparison: Comparison, timing: HttpTiming): Promise<HttpSuiteResult> {
  const { name, note, tokens, contenders } = comparison
  try {
    for (const [index, { name: caseName, server }] of contenders.entries()) {
      const accepted = await fetch(`${server.url}/orders`, { headers: bearer(tokens[0] ?? '') })
      const refused = await fetch(`${server.url}/orders`)
      await Promise.all([accepted.arrayBuffer(), refused.arrayBuffer()])
      if (accepted.status !== 200 || (index > 0 && refused.status !== 401))
        throw new Error(`${caseName}: ${accepted.status} with a token, ${refused.status} without`)
    }
    const requests = tokens.map(ordersRequest)
    const cases = contenders.map((contender) => ({ name: contender.name, url: contender.server.url }))
    const result = await runHttpSuite({ name, baseline: cases[0]?.name ?? '', note, requests, cases }, timing)
    console.log(`\n${formatSuite(result)}\n${formatHttpDetails(result)}`)
    return result
  } finally {
    await Promise.all(contenders.map(({ server }) => server.close()))
  }
}

async function fastifyComparison(issuer: string, key: SigningKey, guard: Guard): Promise<Comparison> {
  return {
    name: `Fastify, ${key.alg}: GET /orders without auth vs behind guard.fastify({ scope }), ${tokenCount} tokens`,
    note: 'target: the guarded route ≥ 85% of the route without auth (req/s)',
    tokens: mintTokens(issuer, key),
    contenders: [
      { name: 'fastify, no auth', server: await startFastify() },
      { name: 'fastify + guard.fastify()', server: await startFastify(guard) },
    ],
  }
}

async function expressComparison(issuer: string, key: SigningKey, guard: Guard): Promise<Comparison> {
  const jwksUri = `${issuer}/.well-known/jwks.json`
  const oauth2 = auth({ issuer, jwksUri, audience, tokenSigningAlg: key.alg, strict: true })
  return {
    name: `Express, ${key.alg}: GET /orders without auth vs the guard and its rivals, ${tokenCount} tokens`,
    note: 'the guard answers a repeated token from its verified-token cache; the others verify every request',
    tokens: mintTokens(issuer, key),
    contenders: [
      { name: 'express, no auth', server: await startExpress() },
      { name: 'express + guard.express()', server: await startExpress(guard.express({ scope })) },
      {
        name: 'express + express-oauth2-jwt-bearer',
        server: await startExpress(oauth2, requiredScopes(scope)),
      },
      { name: 'express + express-jwt', server: await startExpress(...(await expressJwtChecks(issuer))) },
    ],
  }
}

async function runAll(): Promise<void> {
  const startedAt = new Date().toISOString()
  const loadAverageBefore = loadavg()
  const time = process.argv.find((arg) => arg.startsWith('--time='))?.slice('--time='.length)
  // Rounds of 1 s, the shortest autocannon runs: the finer the interleaving, the less a burst of other load
  // on a shared machine lands on one case only.
  const rounds = Math.max(2, Math.round(Number(time ?? 6000) / 1000))
  const timing: HttpTiming = { warmupMs: 1000, measureMs: rounds * 1000, rounds, connections: 10 }
  const eddsa = generateSigningKey('EdDSA', 'bench-eddsa')
  const es256 = generateSigningKey('ES256', 'bench-es256')
  const issuer = await startIssuerStub([eddsa, es256])
  const jwks = { keys: [exportPublicJwk(eddsa), exportPublicJwk(es256)] }
  const guardOf = (): Guard => createGuard({ issuer: issuer.url, audience, jwks, client: guardClient })
  const guards = [guardOf(), guardOf()] as const
  const [fastifyGuard, expressGuard] = guards
  const suites: HttpSuiteResult[] = []
  try {
    suites.push(await compare(await fastifyComparison(issuer.url, eddsa, fastifyGuard), timing))
    suites.push(await compare(await expressComparison(issuer.url, es256, expressGuard), timing))
  } finally {
    // Guards first: with the feed gone they would keep reconnecting, and keep the process alive.
    await Promise.all(guards.map((guard) => guard.close()))
    await issuer.close()
  }
  const machine = { node: process.version, cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}` }
  const finished = { finishedAt: new Date().toISOString(), loadAverageBefore, loadAverageAfter: loadavg() }
  const json = JSON.stringify({ startedAt, ...finished, ...machine, timing, suites }, null, 2)
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  writeFileSync(new URL('./results/http-guard.json', import.meta.url), `${json}\n`)
  console.log(`\n--- JSON http-guard (also in bench/results/http-guard.json) ---\n${json}`)
}

const definition: BenchDefinition = {
  name: 'HTTP routes behind auth under autocannon load: the guard vs no auth, express-jwt, express-oauth2-jwt-bearer',
  // runAll measures over HTTP and prints its own tables and JSON; the harness gets no in-process suite to time.
  suites: async () => {
    await runAll()
    return []
  },
}

export default definition
