/**
 * `guard.verifyToken` side by side with its floor and its rival, in one run:
 * - first sight (cache off), EdDSA and ES256: raw `crypto.verify`, core `verifyAccessToken`, the guard —
 *   target: the guard at or above 90% of raw;
 * - repeat (cache hit, every per-request check applied, with a live revocation feed holding 1,000 revoked
 *   sessions): the guard vs `fast-jwt` with its cache — target: at least 2×;
 * - an invalid-token flood (garbage, unknown kids, bad signatures) vs valid first-sight verifications —
 *   target: rejections per second at least the valid rate.
 * Every case cycles through 256 distinct tokens.
 */
import assert from 'node:assert/strict'
import { randomBytes, verify } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createVerifier } from 'fast-jwt'
import {
  type AccessTokenAlgorithm,
  exportPublicJwk,
  generateSigningKey,
  parseCompactJws,
  type SigningKey,
  signAccessToken,
  systemClock,
  toVerificationKey,
  verifyAccessToken,
} from '../packages/core/src/index.ts'
import { createGuard } from '../packages/guard/src/index.ts'
import type { BenchDefinition, BenchSuite } from './harness.ts'

const audience = 'orders-api'
const poolSize = 256
const client = { id: 'bench-guard', secret: 'bench-guard-secret' }

function cycle<T>(items: readonly T[]): () => T {
  let index = 0
  return () => {
    const item = items[index] as T
    index = (index + 1) % items.length
    return item
  }
}

function mintPool(issuer: string, key: SigningKey, overrides: Record<string, unknown> = {}): string[] {
  const now = systemClock.nowSeconds()
  return Array.from({ length: poolSize }, (_, index) =>
    signAccessToken(
      {
        iss: issuer,
        sub: `usr_${index.toString(16).padStart(16, '0')}`,
        aud: [issuer, audience],
        exp: now + 900,
        iat: now,
        jti: `jti_${index}_${randomBytes(6).toString('hex')}`,
        client_id: 'web',
        sid: `ses_${index}`,
        scope: 'openid orders:read orders:write',
        ...overrides,
      },
      key,
    ),
  )
}

// A revocation feed as docs/guard-protocol.md describes it: a snapshot, then a ping every 5 seconds.
async function startFeed(): Promise<{ url: string; server: Server }> {
  const sessions = Array.from({ length: 1000 }, (_, index) => ({
    sid: `ses_revoked_${index}`,
    sub: 'usr_x',
    at: 1,
  }))
  const server = createServer((request, response) => {
    if (request.url !== '/v1/revocations') return void response.writeHead(404).end()
    response.writeHead(200, { 'content-type': 'text/event-stream' })
    const snapshot = { sessions, users: [], window_seconds: 905 }
    response.write(`id: b-0\nevent: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`)
    const pings = setInterval(
      () => response.write(`id: b-1\nevent: ping\ndata: {"at":${systemClock.nowSeconds()}}\n\n`),
      5000,
    )
    pings.unref()
    response.on('close', () => clearInterval(pings))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  server.unref()
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

async function firstSightSuite(alg: AccessTokenAlgorithm, issuer: string): Promise<BenchSuite> {
  const key = generateSigningKey(alg, `${alg}-bench`)
  const verificationKey = toVerificationKey(key)
  const tokens = mintPool(issuer, key)
  const guard = createGuard({
    issuer,
    audience,
    jwks: { keys: [exportPublicJwk(key)] },
    cache: { maxEntries: 0 },
  })
  // The raw case gets its inputs decoded beforehand: it measures crypto.verify alone.
  const rawInputs = tokens.map((token) => {
    const parsed = parseCompactJws(token)
    return { input: Buffer.from(parsed.signingInput, 'latin1'), signature: parsed.signature }
  })
  const ecdsaKey = { key: verificationKey.key, dsaEncoding: 'ieee-p1363' } as const
  const verifyRaw = ({ input, signature }: { input: Buffer; signature: Buffer }): boolean =>
    alg === 'EdDSA'
      ? verify(null, input, verificationKey.key, signature)
      : verify('sha256', input, ecdsaKey, signature)
  const coreOptions = {
    keys: () => verificationKey,
    issuer,
    audience,
    maxLifetimeSeconds: 900,
    clock: systemClock,
  }
  for (const [index, token] of tokens.entries()) {
    assert.ok(verifyRaw(rawInputs[index] as { input: Buffer; signature: Buffer }))
    assert.equal((await guard.verifyToken(token)).iss, issuer)
  }
  const nextRaw = cycle(rawInputs)
  const nextCore = cycle(tokens)
  const nextGuard = cycle(tokens)
  return {
    name: `${alg} first sight: guard.verifyToken (cache off) vs raw crypto.verify (${poolSize} distinct tokens)`,
    baseline: 'raw crypto.verify',
    note: 'target: guard.verifyToken first sight ≥ 90% of raw crypto.verify',
    cases: [
      { name: 'raw crypto.verify', run: () => verifyRaw(nextRaw()) },
      { name: 'core verifyAccessToken', run: () => verifyAccessToken(nextCore(), coreOptions) },
      { name: 'guard.verifyToken (cache off)', run: () => guard.verifyToken(nextGuard()) },
    ],
  }
}

// The harness has no teardown hook, and an open feed stream would keep the process alive after the run. The
// suite's cases run in interleaved rounds of a fraction of a second, so a case idle for 3 s has finished.
function closeWhenIdle(close: () => Promise<void>): () => void {
  let lastRunAt: number | undefined
  const watch = setInterval(() => {
    if (lastRunAt === undefined || performance.now() - lastRunAt < 3000) return
    clearInterval(watch)
    void close()
  }, 500)
  watch.unref()
  return () => {
    lastRunAt = performance.now()
  }
}

async function repeatSuite(): Promise<BenchSuite> {
  const feed = await startFeed()
  const issuer = feed.url
  const key = generateSigningKey('EdDSA', 'EdDSA-repeat')
  const tokens = mintPool(issuer, key)
  const guard = createGuard({ issuer, audience, client, jwks: { keys: [exportPublicJwk(key)] } })
  const fastJwtVerify = createVerifier({
    key: toVerificationKey(key).key.export({ format: 'pem', type: 'spki' }).toString(),
    algorithms: ['EdDSA'],
    cache: true,
    allowedIss: issuer,
    allowedAud: audience,
    checkTyp: 'at+jwt',
  })
  for (const token of tokens) {
    assert.equal((await guard.verifyToken(token, { scope: 'orders:read', maxAge: '10m' })).iss, issuer)
    assert.equal((fastJwtVerify(token) as { iss: string }).iss, issuer)
  }
  assert.equal(guard.health().revocation.state, 'live')
  const routeOptions = { scope: 'orders:read', maxAge: '10m' } as const
  const nextGuard = cycle(tokens)
  const nextFastJwt = cycle(tokens)
  const touch = closeWhenIdle(async () => {
    await guard.close()
    feed.server.closeAllConnections()
    feed.server.close()
  })
  return {
    name: `EdDSA repeat: guard.verifyToken cache hit (scope, maxAge, revocation, bindings) vs fast-jwt cache`,
    baseline: 'fast-jwt verifier (cache on)',
    note: 'target: guard.verifyToken cache hit ≥ 2× fast-jwt with its cache',
    cases: [
      { name: 'fast-jwt verifier (cache on)', run: () => fastJwtVerify(nextFastJwt()) },
      {
        name: 'guard.verifyToken (cache hit)',
        run: () => {
          touch()
          return guard.verifyToken(nextGuard(), routeOptions)
        },
      },
    ],
  }
}

async function floodSuite(): Promise<BenchSuite> {
  const issuer = 'http://localhost:8080'
  const key = generateSigningKey('EdDSA', 'EdDSA-flood')
  const impostor = generateSigningKey('EdDSA', 'EdDSA-flood')
  const stranger = generateSigningKey('EdDSA', 'EdDSA-stranger')
  const guard = createGuard({
    issuer,
    audience,
    jwks: { keys: [exportPublicJwk(key)] },
    cache: { maxEntries: 0 },
  })
  const valid = mintPool(issuer, key)
  const badSignatures = mintPool(issuer, impostor).slice(0, 85)
  const unknownKids = mintPool(issuer, stranger).slice(0, 85)
  const garbage = Array.from({ length: 86 }, () => randomBytes(48).toString('base64url'))
  const invalid = [...badSignatures, ...unknownKids, ...garbage].sort(() => Math.random() - 0.5)
  const reasons = new Set<string>()
  for (const token of invalid)
    await guard.verifyToken(token).catch((error: { reason: string }) => reasons.add(error.reason))
  assert.deepEqual([...reasons].sort(), ['bad_signature', 'malformed', 'unknown_key'])
  const nextValid = cycle(valid)
  const nextInvalid = cycle(invalid)
  const ignore = (): undefined => undefined
  return {
    name: 'EdDSA invalid-token flood (⅓ garbage, ⅓ unknown kid, ⅓ bad signature) vs valid first sight',
    baseline: 'valid tokens verified (cache off)',
    note: 'target: rejections/s ≥ valid verifications/s',
    cases: [
      { name: 'valid tokens verified (cache off)', run: () => guard.verifyToken(nextValid()) },
      { name: 'invalid tokens rejected', run: () => guard.verifyToken(nextInvalid()).then(ignore, ignore) },
    ],
  }
}

const definition: BenchDefinition = {
  name: 'guard.verifyToken: first sight vs raw crypto.verify, cache hit vs fast-jwt, invalid-token flood',
  suites: async () => [
    await firstSightSuite('EdDSA', 'http://localhost:8080'),
    await firstSightSuite('ES256', 'http://localhost:8080'),
    await repeatSuite(),
    await floodSuite(),
  ],
}

export default definition
