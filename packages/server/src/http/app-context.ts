import type { Clock } from '@tessera/core'
import type { Logger } from 'pino'
import type { Config } from '../config/schema.ts'
import type { Accounts } from '../domain/accounts.ts'
import type { DeviceCookies } from '../domain/device-cookie.ts'
import type { KeyRing } from '../domain/key-ring.ts'
import type { LoginThrottle } from '../domain/login-throttle.ts'
import type { OidcAccountDeps } from '../domain/oidc/oidc-accounts.ts'
import type { OidcLoginDeps } from '../domain/oidc/oidc-login.ts'
import type { OidcProviders } from '../domain/oidc/oidc-providers.ts'
import type { PasswordHasher } from '../domain/password-hasher.ts'
import type { RevocationFeed } from '../domain/revocation-feed.ts'
import type { SecurityRecord } from '../domain/security-record.ts'
import type { ServiceTokenIssuer } from '../domain/service-token-issuer.ts'
import type { SessionDeps } from '../domain/sessions.ts'
import type { Throttle } from '../domain/throttle.ts'
import type { TokenInspector } from '../domain/token-inspector.ts'
import type { TesseraMetrics } from '../metrics/tessera-metrics.ts'
import type { Store, TokenUses } from '../store/ports.ts'
import type { RedisHotState } from '../store/redis/redis-hot-state.ts'
import type { DpopServerState } from './dpop-request.ts'

/** Everything the HTTP layer hands work to; built once by the composition root (services.ts). */
export interface AppContext {
  readonly config: Config
  readonly clock: Clock
  readonly logger: Logger
  readonly store: Store
  readonly ring: KeyRing
  readonly accounts: Accounts
  readonly hasher: PasswordHasher
  readonly sessions: SessionDeps
  /** The security record: where sign-ins, revocations and other security events are recorded. */
  readonly securityRecord: SecurityRecord
  readonly throttle: Throttle
  /** Who may try a password now: per IP, per account or known device, and the global breaker. */
  readonly loginThrottle: LoginThrottle
  /** The signed device cookies that give a browser its own login bucket for its account. */
  readonly devices: DeviceCookies
  /** `max_uses` counters: Redis when configured (shared, fails closed), else the database. */
  readonly tokenUses: TokenUses
  /** The Redis side of a scale-out deployment; `undefined` without `TESSERA_REDIS_URL`. */
  readonly hotState: RedisHotState | undefined
  /** Client-credentials and batch-minted tokens. */
  readonly serviceTokens: ServiceTokenIssuer
  /** Verification and live state of issued tokens (introspection, revocation). */
  readonly tokenInspector: TokenInspector
  /** The numbered revocation events behind GET /v1/revocations. */
  readonly revocationFeed: RevocationFeed
  /** Upstream OpenID Connect sign-in: the providers, the login transactions, the account linking. */
  readonly oidc: {
    readonly providers: OidcProviders
    readonly login: OidcLoginDeps
    readonly accounts: OidcAccountDeps
  }
  /** Counters and gauges behind GET /metrics. */
  readonly metrics: TesseraMetrics
  /** DPoP proofs sent to this server: the replay register and the nonce key (RFC 9449). */
  readonly dpop: DpopServerState
}
