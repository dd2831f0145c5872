import { isJsonObject } from '@tessera/core'
import type { ClientRecord, Store } from '../store/ports.ts'
import { isPrintableText } from './printable-text.ts'
import { grantableScopes, META_SCOPES, missingScopes, parseScopeList } from './scopes.ts'
import type { MintedTokenRequest, ServiceTokenIssuer } from './service-token-issuer.ts'

export const MAX_MINT_BATCH = 100
const MAX_SUB_CHARS = 255
const MAX_AUDIENCES = 32
const MAX_AUDIENCE_CHARS = 256
const MAX_PATH_CHARS = 1024
const MAX_USES_LIMIT = 1_000_000
const ENTRY_FIELDS = new Set(['sub', 'aud', 'scope', 'ttl', 'max_uses', 'path'])

export interface MintPolicy {
  readonly issuer: string
  readonly maxTtlSeconds: number
  /** Lifetime of an entry without `ttl`. */
  readonly defaultTtlSeconds: number
}

export interface MintDeps {
  readonly store: Store
  readonly tokens: ServiceTokenIssuer
}

export type MintOutcome =
  | { readonly ok: true; readonly tokens: { access_token: string; expires_in: number }[] }
  | { readonly ok: false; readonly field: string; readonly message: string }

class EntryError extends Error {
  readonly field: string
  constructor(field: string, message: string) {
    super(message)
    this.field = field
  }
}

function readSub(value: unknown, at: string, client: ClientRecord): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SUB_CHARS) {
    throw new EntryError(`${at}.sub`, `sub must be a string of 1–${MAX_SUB_CHARS} characters`)
  }
  if (!isPrintableText(value, { allowWhitespace: false }))
    throw new EntryError(`${at}.sub`, 'sub contains whitespace or controls')
  // RFC 9700 §4.15: a minted sub must not pass for a user or another client. `usr_…` is allowed only to
  // clients trusted to act for users (checked against the store later); `cli_…` only as the client itself.
  if (value.startsWith('usr_') && !client.scopes.includes(META_SCOPES.mintForUsers)) {
    throw new EntryError(`${at}.sub`, `a usr_ subject needs the ${META_SCOPES.mintForUsers} scope`)
  }
  if (value.startsWith('cli_') && value !== client.id) {
    throw new EntryError(`${at}.sub`, 'a cli_ subject may only be the minting client itself')
  }
  return value
}

function readAudienceValue(value: unknown, field: string, issuer: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_AUDIENCE_CHARS) {
    throw new EntryError(field, `aud must be a string of 1–${MAX_AUDIENCE_CHARS} characters`)
  }
  if (!isPrintableText(value, { allowWhitespace: false }))
    throw new EntryError(field, 'aud contains whitespace or controls')
  // A minted token addresses a resource server, never the auth server itself.
  if (value === issuer) throw new EntryError(field, 'aud may not be the issuer')
  return value
}

function readAud(value: unknown, at: string, issuer: string): string | string[] {
  if (!Array.isArray(value)) return readAudienceValue(value, `${at}.aud`, issuer)
  if (value.length === 0 || value.length > MAX_AUDIENCES) {
    throw new EntryError(`${at}.aud`, `aud must list 1–${MAX_AUDIENCES} audiences`)
  }
  const audiences = value.map((a: unknown, i) => readAudienceValue(a, `${at}.aud[${i}]`, issuer))
  if (new Set(audiences).size !== audiences.length) throw new EntryError(`${at}.aud`, 'aud repeats a value')
  return audiences
}

function readScopes(value: unknown, at: string, client: ClientRecord): string[] {
  if (value === undefined) return []
  const scopes = typeof value === 'string' ? parseScopeList(value) : undefined
  if (scopes === undefined) {
    throw new EntryError(`${at}.scope`, 'scope must be scope tokens separated by single spaces')
  }
  const [missing] = missingScopes(scopes, grantableScopes(client.scopes))
  if (missing !== undefined) {
    throw new EntryError(`${at}.scope`, `scope ${missing} is not grantable by this client`)
  }
  return scopes
}

function readInteger(value: unknown, field: string, minimum: number, maximum: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < minimum || (value as number) > maximum) {
    throw new EntryError(
      field,
      `${field.slice(field.lastIndexOf('.') + 1)} must be an integer from ${minimum} to ${maximum}`,
    )
  }
  return value as number
}

function readPath(value: unknown, at: string): string {
  if (
    typeof value !== 'string' ||
    !value.startsWith('/') ||
    value.length > MAX_PATH_CHARS ||
    !isPrintableText(value, { allowWhitespace: false }) ||
    /[?#]/.test(value)
  ) {
    throw new EntryError(
      `${at}.path`,
      `path must start with / and hold up to ${MAX_PATH_CHARS} characters, no query`,
    )
  }
  return value
}

function readEntry(
  entry: unknown,
  index: number,
  client: ClientRecord,
  policy: MintPolicy,
): MintedTokenRequest {
  const at = `tokens[${index}]`
  if (!isJsonObject(entry)) throw new EntryError(at, 'each entry must be an object')
  const unknown = Object.keys(entry).find((key) => !ENTRY_FIELDS.has(key))
  if (unknown !== undefined) throw new EntryError(`${at}.${unknown}`, `unknown field ${unknown}`)
  return {
    clientId: client.id,
    sub: readSub(entry.sub, at, client),
    aud: readAud(entry.aud, at, policy.issuer),
    scopes: readScopes(entry.scope, at, client),
    ttlSeconds:
      entry.ttl === undefined
        ? policy.defaultTtlSeconds
        : readInteger(entry.ttl, `${at}.ttl`, 1, policy.maxTtlSeconds),
    ...(entry.max_uses === undefined
      ? {}
      : { maxUses: readInteger(entry.max_uses, `${at}.max_uses`, 1, MAX_USES_LIMIT) }),
    ...(entry.path === undefined ? {} : { path: readPath(entry.path, at) }),
  }
}

function readBatch(body: unknown, client: ClientRecord, policy: MintPolicy): MintedTokenRequest[] {
  if (!isJsonObject(body)) throw new EntryError('body', 'the body must be a JSON object')
  const unknown = Object.keys(body).find((key) => key !== 'tokens')
  if (unknown !== undefined) throw new EntryError(unknown, `unknown field ${unknown}`)
  const { tokens } = body
  if (!Array.isArray(tokens) || tokens.length === 0 || tokens.length > MAX_MINT_BATCH) {
    throw new EntryError('tokens', `tokens must be an array of 1–${MAX_MINT_BATCH} entries`)
  }
  return tokens.map((entry: unknown, index) => readEntry(entry, index, client, policy))
}

async function assertUsersMintable(store: Store, entries: readonly MintedTokenRequest[]): Promise<void> {
  const checked = new Map<string, boolean>()
  for (const [index, entry] of entries.entries()) {
    if (!entry.sub.startsWith('usr_')) continue
    let isMintable = checked.get(entry.sub)
    if (isMintable === undefined) {
      const user = await store.users.findById(entry.sub)
      isMintable = user !== undefined && !user.disabled
      checked.set(entry.sub, isMintable)
    }
    if (!isMintable) throw new EntryError(`tokens[${index}].sub`, 'no such enabled user')
  }
}

/**
 * Batch minting (POST /v1/tokens): validates every entry first and mints only if all pass, so a batch
 * either yields all its tokens or none; the first invalid entry is named (`tokens[3].ttl`). Lifetimes are
 * capped by policy, scopes must be grantable by the minting client (its scopes minus meta scopes), and the
 * minting client is the tokens' `client_id`.
 *
 * @example
 * const outcome = await mintTokens(deps, client, request.body, policy)
 * if (!outcome.ok) throw reject('invalid_request', { field: outcome.field, message: outcome.message })
 */
export async function mintTokens(
  deps: MintDeps,
  client: ClientRecord,
  body: unknown,
  policy: MintPolicy,
): Promise<MintOutcome> {
  let entries: MintedTokenRequest[]
  try {
    entries = readBatch(body, client, policy)
    await assertUsersMintable(deps.store, entries)
  } catch (error) {
    if (error instanceof EntryError) return { ok: false, field: error.field, message: error.message }
    throw error
  }
  const tokens = entries.map((entry) => {
    const issued = deps.tokens.issueMintedToken(entry)
    return { access_token: issued.accessToken, expires_in: issued.expiresIn }
  })
  return { ok: true, tokens }
}
