/**
 * The string formats of the config schema. Each format says what it accepts (`expected`, shown in errors
 * and in docs/configuration.md) and, for a rejected value, which rule it broke (`findProblem`), so a bad
 * setting names the exact rule instead of a generic "invalid format".
 *
 * The formats are registered in TypeBox's FormatRegistry when this module loads, so the schema (and a
 * compiled checker) can refer to them by name. The names carry a `tessera-` prefix so they cannot collide
 * with formats another library registers.
 */
import { isIP } from 'node:net'
import { FormatRegistry } from '@sinclair/typebox'

export interface SettingFormat {
  /** What the format accepts, as a phrase that completes "expected …". */
  readonly expected: string
  /** The broken rule for a rejected value, or undefined when the value is accepted. Never echoes it. */
  readonly findProblem: (value: string) => string | undefined
}

// Plain http is acceptable only where no network sits between browser and server (RFC 8252 §8.3 makes
// the same exception for loopback redirect URIs); anywhere else tokens and cookies would travel in clear.
const loopbackHostnames = new Set(['localhost', '127.0.0.1', '[::1]'])
const hostnamePattern =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i
const cidrPrefixPattern = /^(?:0|[1-9][0-9]{0,2})$/
const minimumSecretBytes = 32

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value)
  } catch {
    return undefined
  }
}

function findIssuerProblem(value: string): string | undefined {
  const url = parseUrl(value)
  if (url === undefined) return 'it is not an absolute URL'
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'its scheme is not http or https'
  if (url.username !== '' || url.password !== '') return 'it contains user info'
  if (value.includes('?')) return 'it has a query'
  if (value.includes('#')) return 'it has a fragment'
  if (value.endsWith('/')) return 'it ends with a slash'
  // `iss` is compared byte for byte (RFC 9068 §4, RFC 8414 §3.3), so only the canonical spelling is allowed.
  const canonical = url.pathname === '/' ? url.href.slice(0, -1) : url.href
  if (canonical !== value) return `it is not in canonical form (write ${JSON.stringify(canonical)})`
  if (url.protocol === 'http:' && !loopbackHostnames.has(url.hostname)) {
    return 'http is allowed only for localhost, 127.0.0.1 and [::1]; use https'
  }
  return undefined
}

function findOriginProblem(value: string): string | undefined {
  const url = parseUrl(value)
  if (url === undefined) return 'it is not an absolute URL'
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'its scheme is not http or https'
  // The browser sends `Origin` in serialised form (RFC 6454 §6.2); any other spelling would never match.
  if (url.origin === value) return undefined
  if (url.pathname !== '/' || value.endsWith('/')) return 'it has a path or a trailing slash'
  return `it is not in canonical form (write ${JSON.stringify(url.origin)})`
}

function findIpOrCidrProblem(value: string): string | undefined {
  const parts = value.split('/')
  const address = parts[0] ?? ''
  const family = isIP(address)
  if (family === 0) return 'it is not an IPv4 or IPv6 address'
  if (parts.length === 1) return undefined
  const prefix = parts[1] ?? ''
  const maximumPrefix = family === 4 ? 32 : 128
  if (parts.length > 2 || !cidrPrefixPattern.test(prefix) || Number(prefix) > maximumPrefix) {
    return `its prefix length is not an integer from 0 to ${maximumPrefix}`
  }
  return undefined
}

function findHostProblem(value: string): string | undefined {
  if (isIP(value) !== 0 || hostnamePattern.test(value)) return undefined
  return 'it is neither an IP address nor a host name'
}

function urlProblemFinder(schemes: readonly string[]): (value: string) => string | undefined {
  return (value) => {
    if (!schemes.some((scheme) => value.startsWith(`${scheme}://`))) {
      return `it does not start with ${schemes.map((scheme) => `${scheme}://`).join(' or ')}`
    }
    return parseUrl(value) === undefined ? 'it is not a valid URL' : undefined
  }
}

function findWebhookUrlProblem(value: string): string | undefined {
  const url = parseUrl(value)
  if (url === undefined) return 'it is not an absolute URL'
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'its scheme is not http or https'
  if (url.username !== '' || url.password !== '') return 'it contains user info'
  if (value.includes('#')) return 'it has a fragment'
  // Security events name users, sessions and addresses: only loopback may receive them in clear.
  if (url.protocol === 'http:' && !loopbackHostnames.has(url.hostname)) {
    return 'http is allowed only for localhost, 127.0.0.1 and [::1]; use https'
  }
  return undefined
}

function findSecretProblem(value: string): string | undefined {
  // 32 bytes is the HKDF-SHA256 input that carries a full 256-bit key's worth of entropy.
  return Buffer.byteLength(value, 'utf8') < minimumSecretBytes ? 'it is too short' : undefined
}

/** Every format the schema uses, by its registered name. */
export const settingFormats = {
  'tessera-host': {
    expected: 'an IP address or a host name',
    findProblem: findHostProblem,
  },
  'tessera-issuer': {
    expected:
      'an absolute URL in canonical form without query, fragment or trailing slash; https, or http for localhost, 127.0.0.1 and [::1]',
    findProblem: findIssuerProblem,
  },
  'tessera-origin': {
    expected: 'a web origin: scheme://host[:port] with scheme http or https, no path, no trailing slash',
    findProblem: findOriginProblem,
  },
  'tessera-ip-or-cidr': {
    expected: 'an IP address or a CIDR block (203.0.113.0/24, 2001:db8::/32)',
    findProblem: findIpOrCidrProblem,
  },
  'tessera-postgres-url': {
    expected: 'a URL starting with postgres:// or postgresql://',
    findProblem: urlProblemFinder(['postgres', 'postgresql']),
  },
  'tessera-redis-url': {
    expected: 'a URL starting with redis:// or rediss://',
    findProblem: urlProblemFinder(['redis', 'rediss']),
  },
  'tessera-webhook-url': {
    expected:
      'an absolute URL without user info or fragment; https, or http for localhost, 127.0.0.1 and [::1]',
    findProblem: findWebhookUrlProblem,
  },
  'tessera-secret': {
    expected: `at least ${minimumSecretBytes} bytes of UTF-8 text`,
    findProblem: findSecretProblem,
  },
} as const satisfies Record<string, SettingFormat>

export type SettingFormatName = keyof typeof settingFormats

/**
 * Looks up a format by the name a schema carries, or undefined for a name that is not ours.
 *
 * @example
 * findSettingFormat('tessera-issuer')?.findProblem('http://auth.example.com') // 'http is allowed only for …'
 */
export function findSettingFormat(name: unknown): SettingFormat | undefined {
  if (typeof name !== 'string' || !Object.hasOwn(settingFormats, name)) return undefined
  return settingFormats[name as SettingFormatName]
}

for (const [name, format] of Object.entries(settingFormats)) {
  FormatRegistry.Set(name, (value) => format.findProblem(value) === undefined)
}
