/**
 * The mutable tree the loader builds before validation, and the record of where each value came from.
 * Keys from a file are written as own data properties (never through `obj[key] = …`), so a `__proto__` or
 * `constructor` key in JSON stays an ordinary unknown key that the schema rejects, and cannot reach a
 * prototype.
 */

export type SettingsNode = Record<string, unknown>

/**
 * Tells a JSON object from arrays, null and primitives.
 *
 * @example
 * isSettingsNode({ port: 1 }) // true
 * isSettingsNode([1]) // false
 */
export function isSettingsNode(value: unknown): value is SettingsNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function defineValue(target: SettingsNode, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

/** Where each value came from (an env name, `file …`, `command line`), keyed by its dotted object path. */
export type SettingSources = Map<string, string>

/**
 * Finds where the value at a path came from: the label of the longest recorded prefix, else the default.
 *
 * @example
 * findSettingSource(sources, ['accessToken', 'ttlSeconds']) // 'TESSERA_ACCESS_TOKEN_TTL'
 */
export function findSettingSource(sources: SettingSources, keys: readonly string[]): string {
  for (let length = keys.length; length > 0; length -= 1) {
    const label = sources.get(keys.slice(0, length).join('.'))
    if (label !== undefined) return label
  }
  return 'the default'
}

/**
 * Deep-merges `source` into `target`: objects merge key by key, anything else replaces. Records `label` as
 * the source of every key written.
 *
 * @example
 * mergeSettings(tree, fileContent, { label: 'file ./tessera.config.json', sources })
 */
export function mergeSettings(
  target: SettingsNode,
  source: Readonly<SettingsNode>,
  options: { readonly label: string; readonly sources: SettingSources; readonly keys?: readonly string[] },
): void {
  const parentKeys = options.keys ?? []
  for (const key of Object.keys(source)) {
    const keys = [...parentKeys, key]
    const incoming = source[key]
    const existing = Object.hasOwn(target, key) ? target[key] : undefined
    options.sources.set(keys.join('.'), options.label)
    if (isSettingsNode(existing) && isSettingsNode(incoming)) {
      mergeSettings(existing, incoming, { ...options, keys })
    } else {
      defineValue(target, key, incoming)
    }
  }
}

/**
 * Sets (or with `undefined`, removes) the value at a path of object keys. Does nothing when an
 * intermediate value is not an object: that value is already wrong and the schema will say so.
 *
 * @example
 * setSetting(tree, ['accessToken', 'ttlSeconds'], 600)
 */
export function setSetting(target: SettingsNode, keys: readonly string[], value: unknown): void {
  let node = target
  for (const key of keys.slice(0, -1)) {
    const child = Object.hasOwn(node, key) ? node[key] : undefined
    if (!isSettingsNode(child)) return
    node = child
  }
  const last = keys.at(-1)
  if (last === undefined) return
  if (value === undefined) Reflect.deleteProperty(node, last)
  else defineValue(node, last, value)
}

/**
 * Reads the value at a path of object keys, or undefined when any step is missing.
 *
 * @example
 * getSetting(tree, ['refreshToken', 'idleSeconds']) // 1209600
 */
export function getSetting(target: Readonly<SettingsNode>, keys: readonly string[]): unknown {
  let value: unknown = target
  for (const key of keys) {
    if (!isSettingsNode(value) || !Object.hasOwn(value, key)) return undefined
    value = value[key]
  }
  return value
}
