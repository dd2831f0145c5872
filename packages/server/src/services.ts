import { join, resolve } from 'node:path'
import { type Clock, cryptoRandom, type RandomSource, systemClock } from '@tessera/core'
import { createMemoryReplayCache } from '@tessera/redis'
import type { Logger } from 'pino'
import type { Config } from './config/schema.ts'
import { createAccounts } from './domain/accounts.ts'
import { loadCommonPasswords } from './domain/common-passwords.ts'
import { createDeviceCookies } from './domain/device-cookie.ts'
import { KeyRing } from './domain/key-ring.ts'
import { createLoginThrottle } from './domain/login-throttle.ts'
import { OidcProviders } from './domain/oidc/oidc-providers.ts'
import { PasswordHasher } from './domain/password-hasher.ts'
import { RevocationBus } from './domain/revocation-bus.ts'
import { RevocationFeed } from './domain/revocation-feed.ts'
import { RevocationPoller } from './domain/revocation-poller.ts'
import { createSecurityRecord } from './domain/security-record-setup.ts'
import { createServiceTokenIssuer } from './domain/service-token-issuer.ts'
import type { SessionDeps } from './domain/sessions.ts'
import { createMemoryThrottle } from './domain/throttle-memory.ts'
import { createTokenInspector } from './domain/token-inspector.ts'
import { createTokenIssuer } from './domain/token-issuer.ts'
import type { AppContext } from './http/app-context.ts'
import { FIRST_PARTY_CLIENT_ID } from './http/token-response.ts'
import { createTesseraMetrics } from './metrics/tessera-metrics.ts'
import { deriveServerKeys } from './secrets/derived-keys.ts'
import { loadServerSecret } from './secrets/server-secret.ts'
import type { Store } from './store/ports.ts'
import { openPostgresStore } from './store/postgres/open-postgres-store.ts'
import { openRedisHotState, type RedisHotState } from './store/redis/redis-hot-state.ts'
import { openSqliteStore } from './store/sqlite/open-sqlite-store.ts'

/** The services of one server or CLI process, plus what must be closed at the end. */
export interface Services extends AppContext {
  readonly revocations: RevocationBus
  /** Carries revocations written by other processes onto this instance's bus (see server.ts). */
  readonly revocationPoller: RevocationPoller
  readonly databaseFile: string | undefined
  close(): Promise<void>
}

export interface ServicesOptions {
  readonly logger: Logger
  readonly clock?: Clock
  readonly random?: RandomSource
  /** Stamped as `actor` on the security events this process records (`cli` for `tessera` commands). */
  readonly actor?: 'cli'
}

/** Extra time a retired key stays in the JWKS beyond the longest token lifetime it could have signed. */
const RETIRED_KEY_MARGIN_SECONDS = 300

/**
 * Opens the durable store named by the config: PostgreSQL when `databaseUrl` (`TESSERA_DATABASE_URL`) is
 * set, otherwise SQLite in the data dir, the embedded default. `file` is the SQLite file, if any.
 *
 * @example
 * const { store, file } = await openStore(config)
 */
export async function openStore(config: Config): Promise<{ store: Store; file: string | undefined }> {
  if (config.databaseUrl !== undefined) {
    const store = await openPostgresStore({ url: config.databaseUrl, poolSize: config.databasePoolSize })
    return { store, file: undefined }
  }
  const file = join(resolve(config.dataDir), 'tessera.db')
  return { store: await openSqliteStore({ file }), file }
}

/**
 * The composition root: builds every service from a validated config, in dependency order, and loads (or
 * on first start creates) the signing key ring.
 *
 * @example
 * const services = await createServices(config, { logger })
 * try { … } finally { await services.close() }
 */
export async function createServices(config: Config, options: ServicesOptions): Promise<Services> {
  const clock = options.clock ?? systemClock
  const random = options.random ?? cryptoRandom
  const secret = loadServerSecret({
    configured: config.secret,
    dataDir: resolve(config.dataDir),
    warn: (message) => options.logger.warn(message),
  })
  const derived = deriveServerKeys(secret)
  const { store, file } = await openStore(config)
  // Client-credentials and minted tokens live at most this long; introspection and the feed must cover it.
  const longestLifetimeSeconds = Math.max(config.accessToken.ttlSeconds, config.mint.maxTtlSeconds)
  const revocationWindowSeconds = longestLifetimeSeconds + config.accessToken.leewaySeconds
  const revocations = new RevocationBus()
  const memoryThrottle = createMemoryThrottle({ clock })
  let hotState: RedisHotState | undefined
  try {
    hotState =
      config.redisUrl === undefined
        ? undefined
        : await openRedisHotState({
            url: config.redisUrl,
            keyPrefix: config.redisKeyPrefix,
            clock,
            logger: options.logger,
            bus: revocations,
            store,
            fallbackThrottle: memoryThrottle,
            windowSeconds: revocationWindowSeconds,
          })
    const relay = hotState?.relay
    const ring = new KeyRing({
      keys: store.signingKeys,
      clock,
      encryptionKey: derived.keyEncryption,
      algorithm: config.accessToken.algorithm,
      rotationSeconds: config.keys.rotationDays * 86_400,
      jwksCacheSeconds: config.keys.jwksCacheSeconds,
      retiredRetentionSeconds:
        config.accessToken.ttlSeconds + config.accessToken.leewaySeconds + RETIRED_KEY_MARGIN_SECONDS,
      ...(relay === undefined ? {} : { onChange: () => relay.announceKeysChanged() }),
    })
    await ring.initialize()
    const oidcProviders = new OidcProviders({ config, clock, logger: options.logger })
    // Discovery at startup: a provider whose metadata contradicts its settings stops startup here.
    await oidcProviders.initialize()
    const hasher = new PasswordHasher({
      concurrency: config.passwords.hashConcurrency,
      queueLimit: config.passwords.hashQueueLimit,
    })
    // The dummy hash for unknown users is computed now, so the first such login costs no more than others.
    await hasher.warmUp()
    const sessions: SessionDeps = {
      store,
      clock,
      random,
      tokens: createTokenIssuer({
        ring,
        clock,
        random,
        issuer: config.issuer,
        audiences: config.accessToken.audiences,
        ttlSeconds: config.accessToken.ttlSeconds,
        defaultScopes: config.accessToken.defaultScopes,
      }),
      refreshKeys: { tagKey: derived.refreshTokenTag, rotationKey: derived.refreshTokenRotation },
      policy: {
        idleSeconds: config.refreshToken.idleSeconds,
        absoluteSeconds: config.refreshToken.absoluteSeconds,
        graceSeconds: config.refreshToken.graceSeconds,
      },
      revocations,
    }
    const accounts = createAccounts({
      store,
      hasher,
      clock,
      random,
      passwordBounds: { minLength: config.passwords.minLength, maxLength: config.passwords.maxLength },
      // Read here, not at the first sign-up, so a missing list stops startup instead of a request.
      ...(config.passwords.rejectCommon ? { commonPasswords: loadCommonPasswords() } : {}),
    })
    const throttle = hotState?.throttle ?? memoryThrottle
    const devices = createDeviceCookies({ key: derived.deviceCookie, clock, random })
    const loginThrottle = createLoginThrottle({
      throttle,
      rules: {
        perIp: config.throttle.loginPerIp,
        perAccount: config.throttle.loginPerAccount,
        globalFailures: config.throttle.loginFailuresGlobal,
      },
      devices,
      findUserIdByEmail: async (email) => (await store.users.findByEmail(email))?.id,
    })
    const revocationPoller = new RevocationPoller({ bus: revocations, store, clock })
    const revocationFeed = new RevocationFeed({
      bus: revocations,
      store,
      clock,
      instanceId: random.bytes(8).toString('hex'),
      windowSeconds: revocationWindowSeconds,
    })
    const metrics = createTesseraMetrics({
      revocations,
      hasher,
      revocationFeed,
      ...(relay === undefined ? {} : { pendingStreamEvents: () => relay.pendingCount }),
      ...(config.securityEvents.webhook.url === undefined
        ? {}
        : { webhookQueueLength: () => securityRecord.webhookQueueLength }),
    })
    const securityRecord = createSecurityRecord(config, {
      events: store.securityEvents,
      clock,
      random,
      logger: options.logger,
      accountKey: derived.securityRecordAccount,
      ...(options.actor === undefined ? {} : { actor: options.actor }),
      metrics,
    })
    return {
      config,
      clock,
      logger: options.logger,
      store,
      ring,
      accounts,
      hasher,
      sessions: { ...sessions, securityRecord, suspiciousRefresh: config.suspiciousRefresh },
      securityRecord,
      throttle,
      loginThrottle,
      devices,
      tokenUses: hotState?.tokenUses ?? store.tokenUses,
      hotState,
      serviceTokens: createServiceTokenIssuer({
        ring,
        clock,
        random,
        issuer: config.issuer,
        audiences: config.accessToken.audiences,
        ttlSeconds: config.accessToken.ttlSeconds,
      }),
      tokenInspector: createTokenInspector({
        store,
        clock,
        ring,
        issuer: config.issuer,
        maxLifetimeSeconds: longestLifetimeSeconds,
        leewaySeconds: config.accessToken.leewaySeconds,
        refreshKeys: sessions.refreshKeys,
        firstPartyClientId: FIRST_PARTY_CLIENT_ID,
      }),
      revocationFeed,
      metrics,
      dpop: {
        replays: hotState?.dpopReplays ?? createMemoryReplayCache({ nowSeconds: () => clock.nowSeconds() }),
        nonceKey: derived.dpopNonce,
      },
      oidc: {
        providers: oidcProviders,
        login: {
          providers: oidcProviders,
          store,
          clock,
          random,
          issuer: config.issuer,
          bindingKey: derived.oidcBinding,
        },
        accounts: { store, clock, random, encryptionKey: derived.keyEncryption },
      },
      revocations,
      revocationPoller,
      databaseFile: file,
      close: async () => {
        metrics.close()
        revocationFeed.close()
        revocationPoller.close()
        // Drains the webhook queue (bounded) while the store is still open.
        await securityRecord.close()
        await hotState?.close()
        await store.close()
      },
    }
  } catch (error) {
    await hotState?.close()
    await store.close()
    throw error
  }
}
