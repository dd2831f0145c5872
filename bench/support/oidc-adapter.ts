/**
 * What the oidc-provider benchmark stores share: oidc-provider's adapter interface (one adapter per model
 * name: `Session`, `Grant`, `AccessToken`, `RefreshToken`, `AuthorizationCode`, `Interaction`, …), and the row
 * shape both SQL stores use: one row per (model, id) holding the model's payload as JSON, the three columns
 * oidc-provider looks rows up by (`grantId`, `uid`, `userCode`), the expiry and the consumption instant.
 */

/** A model payload as oidc-provider hands it over and wants it back. */
export type OidcPayload = Record<string, unknown>

/** oidc-provider's adapter contract (lib/adapters/memory_adapter.js is its reference implementation). */
export interface OidcAdapter {
  /** Inserts or replaces the payload; `expiresIn` seconds from now, or never when undefined. */
  upsert(id: string, payload: OidcPayload, expiresIn: number | undefined): Promise<void>
  /** The payload (with `consumed` set once consumed), or undefined when missing or expired. */
  find(id: string): Promise<OidcPayload | undefined>
  findByUid(uid: string): Promise<OidcPayload | undefined>
  findByUserCode(userCode: string): Promise<OidcPayload | undefined>
  /** Marks the payload consumed (authorization codes, rotated refresh tokens). */
  consume(id: string): Promise<void>
  destroy(id: string): Promise<void>
  /** Deletes every artifact of this model issued under the grant (reuse detection, revocation). */
  revokeByGrantId(grantId: string): Promise<void>
}

/** A store behind oidc-provider: its adapters, the accounts `findAccount` reads, and the connection. */
export interface OidcStore {
  adapterFor(model: string): OidcAdapter
  /** The account's email, or undefined when unknown or disabled (what Tessera checks on refresh too). */
  findAccount(id: string): Promise<string | undefined>
  createAccounts(accounts: readonly { readonly id: string; readonly email: string }[]): Promise<void>
  close(): Promise<void>
}

/** The columns a payload is indexed by, as SQL parameters. */
export interface PayloadColumns {
  readonly grantId: string | null
  readonly userCode: string | null
  readonly uid: string | null
  /** Epoch seconds, or null for no expiry. */
  readonly expiresAt: number | null
}

/**
 * The indexed columns of a payload about to be upserted.
 *
 * @example
 * const { grantId, expiresAt } = payloadColumns(payload, 3600, nowSeconds())
 */
export function payloadColumns(
  payload: OidcPayload,
  expiresIn: number | undefined,
  now: number,
): PayloadColumns {
  const text = (name: string): string | null => {
    const value = payload[name]
    return typeof value === 'string' ? value : null
  }
  return {
    grantId: text('grantId'),
    userCode: text('userCode'),
    uid: text('uid'),
    expiresAt: typeof expiresIn === 'number' ? now + expiresIn : null,
  }
}

/**
 * Turns a stored row back into the payload oidc-provider expects: the JSON, plus `consumed` (epoch seconds)
 * once the row was consumed, which is how the provider tells a replayed code or refresh token.
 *
 * @example
 * return rowToPayload(row.payload, row.consumed_at)
 */
export function rowToPayload(stored: unknown, consumedAt: unknown): OidcPayload | undefined {
  const parsed: unknown = typeof stored === 'string' ? JSON.parse(stored) : stored
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined
  const payload = { ...(parsed as OidcPayload) }
  // pg returns BIGINT as a string; SQLite returns a number.
  if (consumedAt !== null && consumedAt !== undefined) payload.consumed = Number(consumedAt)
  return payload
}

/**
 * Epoch seconds now, the unit oidc-provider's payloads use.
 *
 * @example
 * const expired = expiresAt <= nowSeconds()
 */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}
