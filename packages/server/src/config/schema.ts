/**
 * The one schema of Tessera's configuration. Every object rejects unknown keys, so a typo in a file stops
 * startup instead of silently leaving a default in force. Every property carries a `description`.
 * Two extra schema keywords, ignored by validation, drive error messages:
 * - `mask`: how to show a rejected value (`all`: never; `url-password`: without the URL's password);
 * - `expected`: what a pattern accepts, in words, where the pattern itself would be unreadable.
 *
 * Defaults live in defaults.ts; the env name of every setting is derived from its path (setting-catalog.ts).
 */
import { type Static, Type } from '@sinclair/typebox'
import { SECURITY_EVENT_TYPES } from '../domain/security-event-types.ts'
import type { SettingFormatName } from './setting-formats.ts'
import './setting-formats.ts'

const strict = { additionalProperties: false } as const
const dayInSeconds = 86_400
const yearInSeconds = 365 * dayInSeconds

function integer(minimum: number, maximum: number, description: string): ReturnType<typeof Type.Integer> {
  return Type.Integer({ minimum, maximum, description })
}

function formatted(format: SettingFormatName, description: string, extra: Record<string, unknown> = {}) {
  return Type.String({ format, description, ...extra })
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const scopeToken = Type.String({
  pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$',
  maxLength: 128,
  expected: 'a scope token: 1–128 printable ASCII characters without space, " or \\ (RFC 6749 §3.3)',
})

function throttleRule(description: string) {
  return Type.Object(
    {
      limit: integer(1, 1_000_000, 'Attempts allowed per window.'),
      windowSeconds: integer(1, dayInSeconds, 'Length of the counting window, in seconds.'),
    },
    { ...strict, description },
  )
}

const oidcProvider = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
      expected: '1–64 characters of a–z, 0–9, _ and -, starting with a letter or digit',
      description: 'Identifier used in /v1/oidc/{id}/start and /v1/oidc/{id}/callback.',
    }),
    preset: Type.Optional(
      Type.Union([Type.Literal('google'), Type.Literal('microsoft')], {
        description:
          'Fills in issuer and name: google (https://accounts.google.com), microsoft (Entra ID, see tenant).',
      }),
    ),
    tenant: Type.Optional(
      Type.String({
        pattern: '^(common|organizations|consumers|[0-9a-fA-F-]{36}|[A-Za-z0-9.-]{1,253})$',
        expected: 'common, organizations, consumers, a tenant id (GUID) or a tenant domain',
        description: 'Microsoft preset: the Entra tenant; common and organizations are multi-tenant.',
      }),
    ),
    allowedTenants: Type.Optional(
      Type.Array(Type.String({ pattern: '^[0-9a-fA-F-]{36}$', expected: 'an Entra tenant id (GUID)' }), {
        maxItems: 1000,
        uniqueItems: true,
        description: 'Microsoft multi-tenant: accept ID tokens of these tenants only (tid); all when unset.',
      }),
    ),
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Label of the button on the login page.',
      }),
    ),
    issuer: Type.Optional(
      formatted('tessera-issuer', 'Issuer URL of the provider; its discovery document is read from there.'),
    ),
    linkByVerifiedEmail: Type.Boolean({
      description:
        'A first login whose email_verified email belongs to an existing account links to it (off: a clear page).',
    }),
    keepUpstreamTokens: Type.Boolean({
      description: "Keep the provider's tokens (encrypted like signing keys); off: they are dropped at once.",
    }),
    clientId: Type.String({
      minLength: 1,
      maxLength: 512,
      description: 'Client id registered at the provider.',
    }),
    clientSecret: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        mask: 'all',
        description: 'Client secret registered at the provider.',
      }),
    ),
    scopes: Type.Array(scopeToken, { maxItems: 32, uniqueItems: true, description: 'Scopes to request.' }),
  },
  { ...strict, description: 'One OpenID Connect provider.' },
)

export const configSchema = Type.Object(
  {
    host: formatted('tessera-host', 'Address the HTTP server listens on.'),
    port: integer(0, 65_535, 'TCP port the HTTP server listens on; 0 picks a free port (for tests).'),
    issuer: formatted(
      'tessera-issuer',
      '`iss` of every token and the base of every URL the server publishes.',
    ),
    dataDir: Type.String({
      minLength: 1,
      description:
        'Directory of the embedded database and the generated secret; relative to the working directory.',
    }),
    databaseUrl: Type.Optional(
      formatted(
        'tessera-postgres-url',
        'PostgreSQL URL; when set, durable state moves from SQLite to PostgreSQL.',
        {
          mask: 'url-password',
        },
      ),
    ),
    redisUrl: Type.Optional(
      formatted('tessera-redis-url', 'Redis URL; when set, hot state and the revocation feed use Redis.', {
        mask: 'url-password',
      }),
    ),
    databasePoolSize: integer(
      1,
      1000,
      'Most PostgreSQL connections one instance opens; N instances open up to N times this.',
    ),
    redisKeyPrefix: Type.String({
      pattern: '^[^{}\\s]{1,64}$',
      expected: '1–64 characters without braces or whitespace',
      description: 'Prefix of every Redis key Tessera uses; each deployment sharing a Redis needs its own.',
    }),
    secret: Type.Optional(
      formatted(
        'tessera-secret',
        'Secret from which the keys that encrypt signing keys and tag refresh tokens derive.',
        {
          maxLength: 4096,
          mask: 'all',
        },
      ),
    ),
    allowedOrigins: Type.Array(formatted('tessera-origin', 'A web origin.'), {
      maxItems: 100,
      uniqueItems: true,
      description: 'Web origins allowed to use cookie mode (comma-separated in the environment).',
    }),
    trustedProxies: Type.Array(formatted('tessera-ip-or-cidr', 'A proxy address or block.'), {
      maxItems: 100,
      uniqueItems: true,
      description: 'Proxies whose X-Forwarded-For is believed when finding the client IP; none by default.',
    }),
    log: Type.Object(
      {
        level: Type.Union(
          [
            Type.Literal('fatal'),
            Type.Literal('error'),
            Type.Literal('warn'),
            Type.Literal('info'),
            Type.Literal('debug'),
            Type.Literal('trace'),
            Type.Literal('silent'),
          ],
          { description: 'Lowest pino level written to the log.' },
        ),
      },
      { ...strict, description: 'Logging.' },
    ),
    accessToken: Type.Object(
      {
        ttlSeconds: integer(
          60,
          dayInSeconds,
          'Lifetime of an access token (up to 5% random jitter is taken off).',
        ),
        audiences: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
          maxItems: 32,
          uniqueItems: true,
          description: 'Extra `aud` values put into every access token besides the issuer.',
        }),
        algorithm: Type.Union([Type.Literal('EdDSA'), Type.Literal('ES256')], {
          description: 'Signing algorithm of new keys: EdDSA (Ed25519) or ES256 (P-256).',
        }),
        defaultScopes: Type.Array(scopeToken, {
          maxItems: 64,
          uniqueItems: true,
          description: 'Scopes granted to a user login when the client asks for none.',
        }),
        leewaySeconds: integer(0, 60, 'Clock skew tolerated when checking `iat`, `nbf` and `exp`.'),
      },
      { ...strict, description: 'Access tokens.' },
    ),
    dpop: Type.Object(
      {
        requireNonce: Type.Boolean({
          description:
            'Require a server nonce (`DPoP-Nonce`) in DPoP proofs at the token endpoints (RFC 9449 §8).',
        }),
        proofMaxAgeSeconds: integer(10, 300, 'How old the `iat` of a DPoP proof may be.'),
      },
      { ...strict, description: 'DPoP sender-constrained tokens (RFC 9449).' },
    ),
    refreshToken: Type.Object(
      {
        idleSeconds: integer(300, yearInSeconds, 'A session unused for this long ends.'),
        absoluteSeconds: integer(
          300,
          yearInSeconds,
          'A session ends this long after login, however active; at least refreshToken.idleSeconds.',
        ),
        graceSeconds: integer(
          0,
          300,
          'A rotated refresh token presented again within this window gets the same successor.',
        ),
      },
      { ...strict, description: 'Refresh tokens and sessions.' },
    ),
    keys: Type.Object(
      {
        rotationDays: integer(1, 365, 'A new signing key becomes current this often.'),
        jwksCacheSeconds: integer(
          0,
          dayInSeconds,
          'Cache lifetime of the JWKS response; a new key is published at least this early.',
        ),
      },
      { ...strict, description: 'Signing keys.' },
    ),
    passwords: Type.Object(
      {
        minLength: integer(8, 1024, 'Shortest password accepted at signup and change.'),
        maxLength: integer(8, 1024, 'Longest password accepted; at least passwords.minLength.'),
        hashConcurrency: integer(1, 64, 'argon2id hashes computed at the same time.'),
        hashQueueLimit: integer(0, 10_000, 'Hash requests that may wait; more are refused with 429.'),
        rejectCommon: Type.Boolean({
          description:
            'Refuse new passwords (signup, change) that are on the bundled list of common passwords, in any case.',
        }),
      },
      { ...strict, description: 'Passwords.' },
    ),
    throttle: Type.Object(
      {
        loginPerAccount: throttleRule(
          'Failed logins per account; each device holding a valid device cookie for it has its own bucket this size.',
        ),
        loginPerIp: throttleRule('Login attempts per client IP.'),
        signupPerIp: throttleRule('Signups per client IP.'),
        loginFailuresGlobal: throttleRule(
          'Failed logins on the whole server, all accounts and IPs: a circuit breaker against credential stuffing.',
        ),
      },
      { ...strict, description: 'Throttling.' },
    ),
    cookies: Type.Object(
      {
        fingerprintBinding: Type.Boolean({
          description: 'Bind browser-mode access tokens to an HttpOnly fingerprint cookie.',
        }),
      },
      { ...strict, description: 'Browser (cookie) mode.' },
    ),
    http: Type.Object(
      {
        bodyLimitBytes: integer(1024, 1_048_576, 'Largest request body accepted.'),
        requestTimeoutSeconds: integer(1, 300, 'A request that takes longer is aborted.'),
      },
      { ...strict, description: 'HTTP server.' },
    ),
    mint: Type.Object(
      {
        maxTtlSeconds: integer(
          1,
          dayInSeconds,
          'Longest lifetime of a token minted at POST /v1/tokens; guards must accept lifetimes this long.',
        ),
      },
      { ...strict, description: 'Batch minting of access tokens by service clients.' },
    ),
    oidc: Type.Object(
      {
        providers: Type.Array(oidcProvider, {
          maxItems: 32,
          description:
            'OpenID Connect providers offered on the login page (a JSON array in the environment).',
        }),
      },
      { ...strict, description: 'Sign-in through OpenID Connect providers.' },
    ),
    securityEvents: Type.Object(
      {
        retentionDays: integer(1, 3650, 'Security events older than this many days are deleted.'),
        webhook: Type.Object(
          {
            url: Type.Optional(
              formatted('tessera-webhook-url', 'Where every security event is POSTed, signed.', {
                mask: 'all',
              }),
            ),
            secret: Type.Optional(
              formatted(
                'tessera-secret',
                'HMAC-SHA256 key of the Tessera-Signature header; needed with url.',
                {
                  maxLength: 4096,
                  mask: 'all',
                },
              ),
            ),
            types: Type.Array(Type.Union(SECURITY_EVENT_TYPES.map((type) => Type.Literal(type))), {
              maxItems: SECURITY_EVENT_TYPES.length,
              uniqueItems: true,
              description:
                'Send only these event types (comma-separated in the environment); all when empty.',
            }),
            timeoutSeconds: integer(
              1,
              60,
              'A delivery attempt that takes longer is abandoned (and retried).',
            ),
            maxAttempts: integer(1, 10, 'Delivery attempts per event, the first included.'),
            queueLimit: integer(
              1,
              100_000,
              'Events waiting for delivery; beyond this the oldest is dropped.',
            ),
          },
          { ...strict, description: 'The security-event webhook.' },
        ),
      },
      { ...strict, description: 'The security record (docs/security.md).' },
    ),
    suspiciousRefresh: Type.Union([Type.Literal('allow'), Type.Literal('report'), Type.Literal('revoke')], {
      description:
        'A refresh from another network (/24, /48) or client than the last use: allow, report (record it) or revoke the session.',
    }),
  },
  { ...strict, description: 'Tessera configuration.' },
)

/** The validated settings, as the schema types them. */
export type ConfigValues = Static<typeof configSchema>

type DeepReadonly<T> = T extends readonly (infer Item)[]
  ? readonly DeepReadonly<Item>[]
  : T extends object
    ? { readonly [Key in keyof T]: DeepReadonly<T[Key]> }
    : T

/** The configuration the server runs with: validated once at startup, then deep-frozen. */
export type Config = DeepReadonly<ConfigValues>
