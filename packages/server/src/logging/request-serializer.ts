/**
 * What a request contributes to a log line: method, path, client address and user agent, nothing else.
 * Headers are left out wholesale (Authorization, Cookie and DPoP carry credentials), and the query string
 * is cut off because it may carry a token (RFC 6750 §2.3 allows `access_token` there; OAuth callbacks
 * carry `code` and `state`).
 */

export interface SerializedRequest {
  readonly method: string | undefined
  /** The URL path without query string or fragment. */
  readonly path: string | undefined
  readonly remoteAddress: string | undefined
  readonly userAgent: string | undefined
}

// Bounds on what one request can write into the log; an attacker controls all four fields.
const maximumPathCharacters = 2048
const maximumUserAgentCharacters = 512

function readString(source: unknown, key: string): string | undefined {
  if (typeof source !== 'object' || source === null) return undefined
  const value: unknown = Reflect.get(source, key)
  return typeof value === 'string' ? value : undefined
}

function cut(text: string | undefined, maximum: number): string | undefined {
  return text === undefined || text.length <= maximum ? text : `${text.slice(0, maximum)}…`
}

function stripQuery(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  const end = url.search(/[?#]/)
  return end === -1 ? url : url.slice(0, end)
}

/**
 * Serializes a request (Fastify's, node:http's, or anything shaped like them) for pino's `req` key.
 *
 * @example
 * requestSerializer({ method: 'GET', url: '/v1/me?access_token=abc', headers: { 'user-agent': 'curl/8' } })
 * // { method: 'GET', path: '/v1/me', remoteAddress: undefined, userAgent: 'curl/8' }
 */
export function requestSerializer(req: unknown): SerializedRequest {
  const headers: unknown = typeof req === 'object' && req !== null ? Reflect.get(req, 'headers') : undefined
  const socket: unknown = typeof req === 'object' && req !== null ? Reflect.get(req, 'socket') : undefined
  // Fastify's `ip` honours trustProxy; the socket address is the fallback for plain node:http.
  const remoteAddress = readString(req, 'ip') ?? readString(socket, 'remoteAddress')
  return {
    method: cut(readString(req, 'method'), 16),
    path: cut(stripQuery(readString(req, 'url')), maximumPathCharacters),
    remoteAddress: cut(remoteAddress, 64),
    userAgent: cut(readString(headers, 'user-agent'), maximumUserAgentCharacters),
  }
}
