import { createHash } from 'node:crypto'

/** Every key Tessera writes starts with this unless the deployment chooses another prefix. */
export const DEFAULT_REDIS_KEY_PREFIX = 'tessera:'

const MAX_KEY_PREFIX_LENGTH = 64

/**
 * Rejects a key prefix that would break the key layout: braces would make the prefix (the same for every
 * key) the Cluster hash tag, putting all of Tessera's keys in one slot on one node.
 *
 * @example
 * assertRedisKeyPrefix('tessera:') // returns; 'tessera{x}:' throws a TypeError
 */
export function assertRedisKeyPrefix(keyPrefix: string): void {
  if (keyPrefix.length > MAX_KEY_PREFIX_LENGTH || /[{}\s]/.test(keyPrefix)) {
    throw new TypeError('Redis keyPrefix must be at most 64 characters without braces or whitespace')
  }
}

/**
 * The Redis key of one item: `<prefix><kind>:{<id>}`. The braces are the Redis Cluster hash tag: the slot
 * is computed from `<id>` alone, so keys spread over the cluster by item whatever the prefix. The first
 * `}` ends a tag, so an `id` holding a brace (a caller's throttle key can) is replaced by `#` + base64url
 * SHA-256 of it. That cannot collide with another key: `throttleStorageKey` hashes every id starting with
 * `#` itself, so a `#` id here is always a hash of the key it stands for.
 *
 * @example
 * hashTaggedKey('tessera:', 'throttle', 'login:ip:203.0.113.7') // 'tessera:throttle:{login:ip:203.0.113.7}'
 */
export function hashTaggedKey(keyPrefix: string, kind: string, id: string): string {
  const tag = /[{}]/.test(id) ? `#${createHash('sha256').update(id, 'utf8').digest('base64url')}` : id
  return `${keyPrefix}${kind}:{${tag}}`
}

/**
 * The id of a `max_uses` counter: base64url SHA-256 over the issuer and `jti`, length-prefixed so no two
 * pairs share an input (`("a:b", "c")` vs `("a", "b:c")`), and bounded whatever size the claims have.
 *
 * @example
 * tokenUseId('https://auth.example.com', '01J…') // 43 base64url characters
 */
export function tokenUseId(iss: string, jti: string): string {
  return createHash('sha256').update(`${iss.length}:${iss}\n${jti}`, 'utf8').digest('base64url')
}
