import { generateKeyPairSync } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type AccessTokenClaims,
  exportPublicJwk,
  generateSigningKey,
  type ManualClock,
  type SigningKey,
} from '@tessera/core'
import { createGuard, type Guard, type GuardHealth } from '@tessera/guard'
import { AUDIENCE, tokenClaims, waitFor } from '../../guard/guard-fixtures.ts'
import { CLIENT, type LoopbackIssuer, startLoopbackIssuer } from '../../guard/loopback-issuer.ts'
import { call, signUp, startTestServer, type TestServer } from '../../support/test-server.ts'
import { accessTokenHeader, forgeToken, signerOf } from './token-forge.ts'

/** The scope the rig's `/orders` route demands; the auth server grants it to every user by default. */
export const ORDERS_SCOPE = 'orders:read'

/** A loopback listener that must never be called: the target of `jku` / `x5u` headers. */
export interface Trap {
  readonly url: string
  readonly hits: () => number
  close(): Promise<void>
}

/**
 * Everything an attack needs: a real auth server whose `iss` is a counting loopback issuer (which serves the
 * server's own JWKS plus an ES256 key, and the revocation feed), a guard on that issuer with its service
 * client, the guard behind `guard.node` on loopback, and a trap listener.
 */
export interface AttackRig {
  /** Counts every metadata, JWKS, feed and token-use request the guard makes. */
  readonly issuer: LoopbackIssuer
  readonly server: TestServer
  readonly guard: Guard
  /** Shared by the auth server and the guard. Tests that move it must leave the cooldown logic in mind. */
  readonly clock: ManualClock
  /** `GET /orders` demands `orders:read`; every other path takes any valid token. */
  readonly apiUrl: string
  readonly trap: Trap
  /** The auth server's current signing key (EdDSA), private half: for tokens "the issuer" signed. */
  readonly serverKey: SigningKey
  /** An ES256 key the issuer also publishes, so ECDSA attacks have a real key to aim at. */
  readonly esKey: SigningKey
  /** An RS256 key the issuer also publishes; a guard accepts only EdDSA and ES256, so it must skip it. */
  readonly rsaKey: SigningKey
  /** A user signed up on the real auth server, with real tokens. */
  readonly user: Awaited<ReturnType<typeof signUp>>
  /** Valid claims for this issuer at the current time; `undefined` in `overrides` removes a claim. */
  claims(overrides?: Readonly<Record<string, unknown>>): AccessTokenClaims
  /** Signs any claims (valid or not) under `header` (default: Tessera's own header for `key`). */
  sign(claims: unknown, key?: SigningKey, header?: Readonly<Record<string, unknown>>): string
  close(): Promise<void>
}

/**
 * Starts a trap: a listener that answers 404 and counts.
 *
 * @example
 * const trap = await startTrap()
 * assert.equal(trap.hits(), 0)
 */
export async function startTrap(): Promise<Trap> {
  let hits = 0
  const server: Server = createServer((_request, response) => {
    hits += 1
    response.writeHead(404).end()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () => closeServer(server),
  }
}

/**
 * Starts the rig and waits until the guard holds the keys and hears the revocation feed. `logStream`
 * captures the auth server's log lines (for the leakage checks).
 *
 * @example
 * const rig = await startAttackRig()
 * after(() => rig.close())
 */
export async function startAttackRig(
  options: { readonly logStream?: NodeJS.WritableStream } = {},
): Promise<AttackRig> {
  const issuer = await startLoopbackIssuer()
  const server = await startTestServer({
    ...(options.logStream === undefined ? {} : { logStream: options.logStream }),
    env: {
      TESSERA_ISSUER: issuer.url,
      TESSERA_ACCESS_TOKEN_AUDIENCES: AUDIENCE,
      TESSERA_ACCESS_TOKEN_DEFAULT_SCOPES: ORDERS_SCOPE,
    },
  })
  const jwks = await call(server.url, '/.well-known/jwks.json')
  const esKey = generateSigningKey('ES256', 'k-attack-es256')
  const rsaKey: SigningKey = {
    kid: 'k-attack-rs256',
    alg: 'RS256',
    key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  }
  issuer.setJwks([...(jwks.body.keys as unknown[]), exportPublicJwk(esKey), exportPublicJwk(rsaKey)])
  const { clock } = server
  const guard = createGuard({ issuer: issuer.url, audience: AUDIENCE, client: CLIENT, clock })
  const trap = await startTrap()
  const orders = guard.node((request, response) => response.end(request.auth.subject), {
    scope: ORDERS_SCOPE,
  })
  const anyToken = guard.node((request, response) => response.end(request.auth.subject))
  const api = createServer((request, response) =>
    (request.url?.startsWith('/orders') ? orders : anyToken)(request, response),
  )
  api.listen(0, '127.0.0.1')
  await once(api, 'listening')
  const serverKey = server.server.services.ring.signingKey
  const user = await signUp(server.url)
  await guard.verifyToken(user.accessToken)
  await waitFor(() => guard.health().revocation.state === 'live')
  const claims = (overrides: Readonly<Record<string, unknown>> = {}): AccessTokenClaims =>
    tokenClaims(issuer.url, clock.nowSeconds(), overrides)
  return {
    issuer,
    server,
    guard,
    clock,
    apiUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
    trap,
    serverKey,
    esKey,
    rsaKey,
    user,
    claims,
    sign: (payload, key = serverKey, header = accessTokenHeader(key)) =>
      forgeToken(header, payload, signerOf(key)),
    close: async () => {
      await guard.close()
      await Promise.all([closeServer(api), trap.close(), issuer.close(), server.close()])
    },
  }
}

/** The parts of the rig that a refused token must leave exactly as they were. */
export interface RigObservation {
  readonly issuerCounts: LoopbackIssuer['counts']
  readonly trapHits: number
  readonly health: GuardHealth
}

/**
 * Reads the rig's observable state: the issuer's request counts (metadata, JWKS, feed, token uses), the
 * trap's hits and the guard's health.
 *
 * @example
 * const before = observeRig(rig)
 */
export function observeRig(rig: AttackRig): RigObservation {
  return { issuerCounts: { ...rig.issuer.counts }, trapHits: rig.trap.hits(), health: rig.guard.health() }
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}
