/**
 * Every default of the configuration, in one place, each with the reason it is what it is. Settings that
 * have no fixed default (the issuer follows the port; the stores and the secret are optional) are listed in
 * `derivedDefaults` with what happens when they are left unset.
 */
import { availableParallelism } from 'node:os'
import type { ConfigValues } from './schema.ts'

/**
 * `passwords.hashConcurrency` when unset: cores − 1 and libuv threads − 1, at least 1.
 *
 * @example
 * defaultHashConcurrency() // 1 on 2 cores, 3 on 8 cores with the default UV_THREADPOOL_SIZE of 4
 */
export function defaultHashConcurrency(): number {
  const threadPoolSize = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10)
  const threads = Number.isSafeInteger(threadPoolSize) && threadPoolSize > 0 ? threadPoolSize : 4
  return Math.max(1, Math.min(availableParallelism() - 1, threads - 1, 64))
}

/** Settings whose default is a fixed value. */
export type ConfigDefaults = Omit<ConfigValues, 'issuer' | 'databaseUrl' | 'redisUrl' | 'secret'>

export const configDefaults: ConfigDefaults = {
  // Loopback only: a fresh install must not be reachable from the network before anyone configured it.
  host: '127.0.0.1',
  // The conventional unprivileged HTTP alternative port; SPEC §1.
  port: 8080,
  // Relative to the working directory, so `npm start` in a checkout keeps its state beside it.
  dataDir: './data',
  // Ten per instance: N instances × 10 stays under PostgreSQL's default max_connections (100) for small N.
  databasePoolSize: 10,
  // Names every key and the event stream; braces are refused (they would put every key in one Cluster slot).
  redisKeyPrefix: 'tessera:',
  // Cookie mode is opt-in: no origin may use it until an operator names it.
  allowedOrigins: [],
  // Trusting X-Forwarded-For from anyone would let every client choose its own throttling bucket.
  trustedProxies: [],
  log: {
    // Startup, warnings and one line per request; debug is too chatty for production.
    level: 'info',
  },
  accessToken: {
    // 15 minutes bounds the damage of a stolen access token while keeping refreshes rare (SPEC §2).
    ttlSeconds: 900,
    // The issuer alone is the audience until an operator names its APIs.
    audiences: [],
    // Ed25519 signs and verifies fastest and has no nonce to get wrong (RFC 8037).
    algorithm: 'EdDSA',
    // A token grants nothing beyond identity unless scopes are configured.
    defaultScopes: [],
    // Covers ordinary NTP drift between instances without stretching a token's life noticeably.
    leewaySeconds: 5,
  },
  dpop: {
    // Off: the iat window and the jti replay register already bound a proof's use; nonces add a round trip
    // per client per minute and are for deployments that fear pre-made proofs from a stolen key (§11.2).
    requireNonce: false,
    // A proof is made right before its request; one minute covers slow networks and clock drift.
    proofMaxAgeSeconds: 60,
  },
  refreshToken: {
    // 14 days: a device unused for two weeks signs in again (SPEC §2).
    idleSeconds: 14 * 86_400,
    // 90 days: even an active session re-authenticates once a quarter (SPEC §2).
    absoluteSeconds: 90 * 86_400,
    // 10 s absorbs parallel tabs, retries and lost responses without forking the family (SPEC §2).
    graceSeconds: 10,
  },
  keys: {
    // Monthly rotation limits what one leaked key can sign without churning the JWKS (SPEC §2).
    rotationDays: 30,
    // Five minutes keeps JWKS traffic low; a new key is published at least this long before it signs.
    jwksCacheSeconds: 300,
  },
  passwords: {
    // NIST SP 800-63B §5.1.1.2: at least 8 characters for user-chosen secrets.
    minLength: 8,
    // Long passphrases are welcome; 1024 bounds the hashing work an attacker can request (SPEC §3).
    maxLength: 1024,
    // One core stays free for the event loop, so a login storm does not stall every other request (the
    // login-storm benchmark: 4 hashes on 2 cores put /v1/me p99 at 7–14× its quiet value, 1 hash at 1.9×);
    // and one libuv thread stays free for file and DNS work, which share that pool with argon2.
    hashConcurrency: defaultHashConcurrency(),
    // A short queue turns a login flood into quick 429s instead of unbounded latency.
    hashQueueLimit: 64,
    // NIST SP 800-63B §5.1.1.2: refuse passwords from breach corpuses; they fall to the first guesses.
    rejectCommon: true,
  },
  throttle: {
    // Ten wrong passwords per 15 minutes stops online guessing yet forgives typos.
    loginPerAccount: { limit: 10, windowSeconds: 900 },
    // Higher per IP, because offices and carrier NAT put many users behind one address.
    loginPerIp: { limit: 100, windowSeconds: 900 },
    // Sign-ups are rare per address; 20 an hour slows account farming.
    signupPerIp: { limit: 20, windowSeconds: 3_600 },
    // Ten failures a second sustained (burst 3000) is far above honest typos; a stuffing run trips it.
    loginFailuresGlobal: { limit: 3_000, windowSeconds: 300 },
  },
  cookies: {
    // On by default: a token stolen by script is useless without the HttpOnly cookie (SPEC §3).
    fingerprintBinding: true,
  },
  http: {
    // 64 KiB holds every request of the API; larger bodies are an attack surface (SPEC §3).
    bodyLimitBytes: 65_536,
    // Slow-loris requests must not hold sockets forever; 30 s covers a slow argon2id queue.
    requestTimeoutSeconds: 30,
  },
  mint: {
    // The access-token lifetime: a minted token is never longer-lived than a login's, so guards need no
    // wider lifetime bound for it.
    maxTtlSeconds: 900,
  },
  oidc: {
    // No external identity provider until one is configured.
    providers: [],
  },
  securityEvents: {
    // A quarter: long enough to investigate an incident found weeks later, short enough to bound the table.
    retentionDays: 90,
    webhook: {
      // Every type: a receiver that wants fewer says so; a silent filter would hide new kinds of events.
      types: [],
      // A receiver that has not answered in 5 s is down or overloaded; waiting longer only fills the queue.
      timeoutSeconds: 5,
      // Five attempts with doubling delays from 0.5 s cover about 8 s of a receiver's restart or a blip.
      maxAttempts: 5,
      // A few minutes of a login storm's events; beyond that the database copy is the one to read.
      queueLimit: 1000,
    },
  },
  // Report: a change of network or browser is also a phone leaving Wi-Fi or a browser update, too common
  // to log people out for by default, yet worth an entry when investigating a stolen token.
  suspiciousRefresh: 'report',
}

// The scopes an OIDC provider needs for a login that yields a verified email address (OIDC Core §5.4).
export const oidcProviderDefaultScopes: readonly string[] = ['openid', 'email', 'profile']

/** What `oidc.providers[].preset` fills in when the provider entry leaves it unset. */
export const oidcPresets: Readonly<
  Record<string, { readonly name: string; readonly issuer: (tenant: string | undefined) => string }>
> = Object.freeze({
  google: { name: 'Google', issuer: () => 'https://accounts.google.com' },
  // Entra ID v2.0 endpoints; `common` (any work, school or personal account) unless a tenant is named.
  microsoft: {
    name: 'Microsoft',
    issuer: (tenant) => `https://login.microsoftonline.com/${tenant ?? 'common'}/v2.0`,
  },
})

/** How the settings without a fixed default behave when unset, for docs and `tessera config check`. */
export const derivedDefaults: Readonly<Record<string, string>> = {
  issuer: 'http://localhost:<port>',
  databaseUrl: 'unset: embedded SQLite in dataDir',
  redisUrl: 'unset: hot state and revocation feed in process',
  secret: 'unset: generated into <dataDir>/secret',
  'oidc.providers[].clientSecret': 'unset: public client',
  'oidc.providers[].scopes': oidcProviderDefaultScopes.join(' '),
  'passwords.hashConcurrency': 'CPU cores − 1, at most UV_THREADPOOL_SIZE − 1 (3 by default), at least 1',
  'oidc.providers[].preset': 'unset: name and issuer given',
  'oidc.providers[].tenant': 'common (microsoft preset)',
  'oidc.providers[].allowedTenants': 'unset: every tenant',
  'oidc.providers[].issuer': 'from the preset',
  'oidc.providers[].name': 'from the preset',
  'oidc.providers[].linkByVerifiedEmail': 'false',
  'oidc.providers[].keepUpstreamTokens': 'false',
  'securityEvents.webhook.url': 'unset: no webhook (events are only stored)',
  'securityEvents.webhook.secret': 'unset (required when the url is set)',
}
