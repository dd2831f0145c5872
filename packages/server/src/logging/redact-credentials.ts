/**
 * Blanks out credential fields, by name, anywhere in the top four levels of a log object. This replaces
 * pino's wildcard redaction (`*.password`, `*.*.password`, …), which for our two dozen names costs about
 * 35 µs per wildcard level per log line (measured: 145 µs at three levels against 3 µs without), more than
 * handling the request itself. One walk with a Set lookup per key costs about a microsecond.
 *
 * The caller's object is never mutated: a branch that needs a change is copied, the rest is shared.
 */

export const redactionCensor = '[redacted]'

/** How deep names are looked for: the top-level key and three levels below it. */
export const redactionDepth = 4

/**
 * Field names that hold credentials: our request bodies (snake_case, SPEC §3), OAuth messages (RFC 6749,
 * RFC 7009, RFC 7662, RFC 7636), our own code (camelCase), and the headers that carry credentials.
 */
export const credentialFieldNames: ReadonlySet<string> = new Set([
  'password',
  'current_password',
  'new_password',
  'refresh_token',
  'access_token',
  'client_secret',
  'token',
  'secret',
  'id_token',
  'code_verifier',
  'currentPassword',
  'newPassword',
  'refreshToken',
  'accessToken',
  'clientSecret',
  'passwordHash',
  'password_hash',
  'privateKey',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'dpop',
])

function isPlainData(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null || Array.isArray(value)
}

function redactValue(value: unknown, levelsLeft: number): unknown {
  if (levelsLeft === 0 || typeof value !== 'object' || value === null || !isPlainData(value)) return value
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined
    value.forEach((item, index) => {
      const redacted = redactValue(item, levelsLeft - 1)
      if (redacted === item) return
      copy ??= [...value]
      copy[index] = redacted
    })
    return copy ?? value
  }
  return redactObject(value as Record<string, unknown>, levelsLeft)
}

function redactObject(object: Record<string, unknown>, levelsLeft: number): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined
  for (const key of Object.keys(object)) {
    const value = object[key]
    const redacted = credentialFieldNames.has(key) ? redactionCensor : redactValue(value, levelsLeft - 1)
    if (redacted === value) continue
    copy ??= { ...object }
    // defineProperty: a `__proto__` key from parsed JSON stays an own field instead of swapping prototypes.
    Object.defineProperty(copy, key, {
      value: redacted,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return copy ?? object
}

/**
 * Returns the log object with every credential field (by name, top four levels) replaced by `[redacted]`.
 * Used as pino's `formatters.log`.
 *
 * @example
 * redactCredentials({ body: { email: 'a@example.com', password: 'hunter22' } })
 * // { body: { email: 'a@example.com', password: '[redacted]' } }
 */
export function redactCredentials(object: Record<string, unknown>): Record<string, unknown> {
  return redactObject(object, redactionDepth)
}
