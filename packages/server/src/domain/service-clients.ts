import type { Clock, RandomSource } from '@tessera/core'
import type { ClientRecord, Store } from '../store/ports.ts'
import {
  hashClientSecret,
  isClientSecretMatch,
  isClientSecretShaped,
  mintClientSecret,
} from './client-secret.ts'
import { isId, newId } from './ids.ts'
import { isPrintableText } from './printable-text.ts'
import { parseScopeList } from './scopes.ts'

export interface ClientDeps {
  readonly store: Store
  readonly clock: Clock
  readonly random: RandomSource
}

export type RegisterClientOutcome =
  | { readonly ok: true; readonly client: ClientRecord; readonly secret: string }
  | { readonly ok: false; readonly field: 'name' | 'scopes'; readonly message: string }

const MAX_NAME_CHARS = 100
/** Compared against when the client id is unknown, so both paths do the same hashing work. */
const DUMMY_SECRET_HASH = hashClientSecret('tessera: no such client')

/**
 * Registers a service client: validates the name and the scope list (RFC 6749 §3.3), draws a `cli_…` id
 * and a secret, and stores only the secret's hash. The secret is in the outcome once and nowhere else.
 *
 * @example
 * const outcome = await registerClient(deps, { name: 'orders-api', scopes: 'revocations:read tokens:consume' })
 * if (outcome.ok) print(outcome.client.id, outcome.secret)
 */
export async function registerClient(
  deps: ClientDeps,
  input: { readonly name: string; readonly scopes: string },
): Promise<RegisterClientOutcome> {
  const name = input.name.trim()
  if (name === '' || name.length > MAX_NAME_CHARS || !isPrintableText(name, { allowWhitespace: true })) {
    return { ok: false, field: 'name', message: `name must be 1–${MAX_NAME_CHARS} printable characters` }
  }
  const scopes = parseScopeList(input.scopes.trim())
  if (scopes === undefined) {
    return {
      ok: false,
      field: 'scopes',
      message: 'scopes must be scope tokens separated by single spaces (RFC 6749 §3.3), at most 64',
    }
  }
  const secret = mintClientSecret(deps.random)
  const client = await deps.store.clients.create({
    id: newId('cli', deps.random),
    name,
    secretHash: hashClientSecret(secret),
    scopes,
    createdAt: deps.clock.nowSeconds(),
  })
  return { ok: true, client, secret }
}

/**
 * Checks a client id and secret. Resolves the client when the secret matches and the client is enabled,
 * else undefined — one answer for an unknown id, a wrong secret and a disabled client, after the same
 * hashing work, so the endpoint is no oracle for which client ids exist.
 *
 * @example
 * const client = await verifyClientSecret(store, 'cli_…', presentedSecret)
 */
export async function verifyClientSecret(
  store: Store,
  clientId: string,
  secret: string,
): Promise<ClientRecord | undefined> {
  const isPlausible = isId('cli', clientId) && isClientSecretShaped(secret)
  const client = isPlausible ? await store.clients.findById(clientId) : undefined
  const isMatch = isClientSecretMatch(client?.secretHash ?? DUMMY_SECRET_HASH, secret)
  return client !== undefined && isMatch && !client.disabled ? client : undefined
}
