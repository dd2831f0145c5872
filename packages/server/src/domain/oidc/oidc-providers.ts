import type { Clock } from '@tessera/core'
import * as oidc from 'openid-client'
import type { Logger } from 'pino'
import type { Config } from '../../config/schema.ts'

type ProviderConfig = Config['oidc']['providers'][number]

/** ID-token algorithms Tessera accepts from a provider: asymmetric only (RFC 8725 §3.1, §2.1 confusion). */
export const ACCEPTED_ID_TOKEN_ALGORITHMS: ReadonlySet<string> = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
])

/** A provider ready for logins: its settings and the discovered openid-client configuration. */
export interface OidcProvider {
  readonly settings: ProviderConfig
  readonly client: oidc.Configuration
  /** The algorithms an ID token of this provider may use: its metadata's list ∩ the accepted set. */
  readonly algorithms: ReadonlySet<string>
  /** Entra multi-tenant: the metadata's issuer is a `{tenantid}` template (see `expectedIssuerOf`). */
  readonly issuerTemplate: string | undefined
}

/** The provider's discovery failed in a way configuration must fix (not a network hiccup). */
export class OidcProviderConfigError extends Error {
  constructor(providerId: string, problem: string) {
    super(`oidc.providers "${providerId}": ${problem}`)
    this.name = 'OidcProviderConfigError'
  }
}

/** The provider cannot be reached now (discovery failed); the login is answered 503, and retried later. */
export class OidcProviderUnavailableError extends Error {
  readonly code = 'store_unavailable'
  readonly retryAfterSeconds = 30

  constructor(providerId: string, options?: ErrorOptions) {
    super(`the identity provider "${providerId}" is unreachable`, options)
    this.name = 'OidcProviderUnavailableError'
  }
}

const DISCOVERY_TIMEOUT_SECONDS = 5
const RETRY_AFTER_FAILURE_SECONDS = 30
const TENANT_TEMPLATE = '{tenantid}'

/**
 * Plain http is for loopback only (a provider in a test, a local Keycloak): RFC 9700 §2.6 requires TLS for
 * everything else, and the discovery document names the keys that sign ID tokens.
 */
function isLoopbackHttp(issuer: URL): boolean {
  return (
    issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname.toLowerCase())
  )
}

/**
 * The configured upstream providers, discovered through OpenID Connect Discovery with openid-client. At
 * startup each is discovered once: a document that contradicts the configuration (another issuer, no
 * asymmetric ID-token algorithm, no S256 PKCE, no code flow) stops startup; a provider that does not
 * answer does not — it is retried on its next login, at most every 30 s, and those logins get 503.
 *
 * @example
 * const providers = new OidcProviders({ config, clock, logger })
 * await providers.initialize()
 * const google = await providers.get('google')
 */
export class OidcProviders {
  readonly #settings: ReadonlyMap<string, ProviderConfig>
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #ready = new Map<string, OidcProvider>()
  readonly #failedAt = new Map<string, number>()
  readonly #discovering = new Map<string, Promise<OidcProvider>>()

  constructor(options: { readonly config: Config; readonly clock: Clock; readonly logger: Logger }) {
    this.#settings = new Map(options.config.oidc.providers.map((provider) => [provider.id, provider]))
    this.#clock = options.clock
    this.#logger = options.logger
  }

  /** The configured providers, for the login page's buttons, in configuration order. */
  list(): readonly { readonly id: string; readonly name: string }[] {
    return [...this.#settings.values()].map((provider) => ({
      id: provider.id,
      name: provider.name ?? provider.id,
    }))
  }

  /** The button label of provider `id` (its id when it has none). */
  nameOf(id: string): string {
    return this.#settings.get(id)?.name ?? id
  }

  has(id: string): boolean {
    return this.#settings.has(id)
  }

  /** Discovers every provider; rejects with `OidcProviderConfigError` when one contradicts its settings. */
  async initialize(): Promise<void> {
    await Promise.all(
      [...this.#settings.keys()].map((id) =>
        this.get(id).catch((error: unknown) => {
          if (error instanceof OidcProviderConfigError) throw error
          this.#logger.warn(
            { provider: id },
            'identity provider unreachable at startup; retried at the next login',
          )
        }),
      ),
    )
  }

  /**
   * The provider `id`, discovered. Rejects `OidcProviderUnavailableError` while it cannot be reached.
   *
   * @example
   * const provider = await providers.get('google')
   */
  get(id: string): Promise<OidcProvider> {
    const ready = this.#ready.get(id)
    if (ready !== undefined) return Promise.resolve(ready)
    const settings = this.#settings.get(id)
    if (settings === undefined) return Promise.reject(new RangeError(`no identity provider "${id}"`))
    const failedAt = this.#failedAt.get(id)
    if (failedAt !== undefined && this.#clock.nowSeconds() - failedAt < RETRY_AFTER_FAILURE_SECONDS) {
      return Promise.reject(new OidcProviderUnavailableError(id))
    }
    let pending = this.#discovering.get(id)
    if (pending === undefined) {
      pending = this.#discover(settings).finally(() => this.#discovering.delete(id))
      this.#discovering.set(id, pending)
    }
    return pending
  }

  async #discover(settings: ProviderConfig): Promise<OidcProvider> {
    if (settings.issuer === undefined) throw new OidcProviderConfigError(settings.id, 'no issuer')
    const issuer = new URL(settings.issuer)
    if (issuer.protocol !== 'https:' && !isLoopbackHttp(issuer)) {
      throw new OidcProviderConfigError(settings.id, 'the issuer must be https (http only on loopback)')
    }
    let client: oidc.Configuration
    try {
      client = await oidc.discovery(
        issuer,
        settings.clientId,
        undefined,
        settings.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(settings.clientSecret),
        {
          timeout: DISCOVERY_TIMEOUT_SECONDS,
          // openid-client trusts the TLS of the token endpoint for the ID token's integrity (OIDC Core
          // §3.1.3.7 step 6 allows it) and skips the signature; a bad signature or an unknown key passes. We
          // verify it: the ID token is the only evidence of who signed in, and TLS-terminating proxies exist.
          execute: isLoopbackHttp(issuer)
            ? [oidc.enableNonRepudiationChecks, oidc.allowInsecureRequests]
            : [oidc.enableNonRepudiationChecks],
        },
      )
    } catch (error) {
      if (isConfigurationProblem(error)) {
        throw new OidcProviderConfigError(settings.id, 'its discovery document does not match the issuer')
      }
      this.#failedAt.set(settings.id, this.#clock.nowSeconds())
      throw new OidcProviderUnavailableError(settings.id, { cause: error })
    }
    const provider = checkMetadata(settings, client)
    this.#failedAt.delete(settings.id)
    this.#ready.set(settings.id, provider)
    return provider
  }
}

function isConfigurationProblem(error: unknown): boolean {
  const code = (error as { code?: unknown }).code
  return (
    code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' ||
    code === 'OAUTH_INVALID_SERVER_METADATA' ||
    code === 'OAUTH_RESPONSE_IS_NOT_CONFORM'
  )
}

function checkMetadata(settings: ProviderConfig, client: oidc.Configuration): OidcProvider {
  const metadata = client.serverMetadata()
  const advertised = metadata.id_token_signing_alg_values_supported ?? ['RS256']
  const algorithms = new Set(advertised.filter((alg) => ACCEPTED_ID_TOKEN_ALGORITHMS.has(alg)))
  if (algorithms.size === 0) {
    throw new OidcProviderConfigError(settings.id, 'it signs ID tokens with no asymmetric algorithm')
  }
  // RFC 9700 §2.1.1: PKCE with S256 is required. A provider that does not list it may still support it
  // (Google lists it; older Entra metadata did not), so only an explicit list without S256 is refused.
  const methods = metadata.code_challenge_methods_supported
  if (methods !== undefined && !methods.includes('S256')) {
    throw new OidcProviderConfigError(settings.id, 'it does not support PKCE with S256')
  }
  if (
    metadata.response_types_supported !== undefined &&
    !metadata.response_types_supported.includes('code')
  ) {
    throw new OidcProviderConfigError(settings.id, 'it does not support the authorization code flow')
  }
  const issuerTemplate = metadata.issuer.includes(TENANT_TEMPLATE) ? metadata.issuer : undefined
  return { settings, client, algorithms, issuerTemplate }
}

/** Entra tenant ids are GUIDs; anything else in `tid` cannot make a trustworthy issuer. */
const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** The tenant of personal Microsoft accounts; `organizations` must not let them in. */
export const MICROSOFT_CONSUMER_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad'

/**
 * The issuer an ID token of an Entra multi-tenant provider must carry: the template with the token's own
 * `tid` in place of `{tenantid}` — validated instead of string-matching the template (which no token
 * carries). `undefined` refuses the token: a `tid` that is not a tenant id, a tenant outside
 * `allowedTenants`, or a personal account on an `organizations` provider.
 *
 * @example
 * expectedIssuerOf('https://login.microsoftonline.com/{tenantid}/v2.0', { tid }, settings)
 * // 'https://login.microsoftonline.com/<tid>/v2.0'
 */
export function expectedIssuerOf(
  template: string,
  claims: { readonly tid?: unknown },
  settings: Pick<ProviderConfig, 'tenant' | 'allowedTenants'>,
): string | undefined {
  const { tid } = claims
  if (typeof tid !== 'string' || !TENANT_ID.test(tid)) return undefined
  if (settings.allowedTenants !== undefined && !settings.allowedTenants.includes(tid)) return undefined
  if (settings.tenant === 'organizations' && tid === MICROSOFT_CONSUMER_TENANT) return undefined
  if (settings.tenant === 'consumers' && tid !== MICROSOFT_CONSUMER_TENANT) return undefined
  return template.replace(TENANT_TEMPLATE, tid)
}
