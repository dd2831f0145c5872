/**
 * The load generator's HTTP client: plain `node:http` over a keep-alive agent, so every benchmark client keeps
 * one warm loopback connection and no per-request connection setup lands in a measurement. `fetch` would do
 * the same work with more allocation per call; the same client serves every contender alike.
 */
import { Agent, request } from 'node:http'

export interface LoopbackReply {
  readonly status: number
  readonly text: string
}

export interface LoopbackRequest {
  readonly method: 'GET' | 'POST'
  readonly path: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
}

/**
 * A keep-alive HTTP client for one origin on loopback, with at most `connections` sockets.
 *
 * @example
 * const client = new LoopbackClient('http://127.0.0.1:8080', { connections: 16 })
 * const reply = await client.send({ method: 'GET', path: '/healthz' })
 * client.close()
 */
export class LoopbackClient {
  readonly #url: URL
  readonly #agent: Agent

  constructor(origin: string, options: { readonly connections: number }) {
    this.#url = new URL(origin)
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.connections })
  }

  /** Sends one request and resolves with the status and the whole body as text; rejects on socket errors. */
  send(spec: LoopbackRequest): Promise<LoopbackReply> {
    const headers: Record<string, string> = { ...spec.headers }
    if (spec.body !== undefined) headers['content-length'] = String(Buffer.byteLength(spec.body))
    return new Promise((resolve, reject) => {
      const outgoing = request(
        {
          agent: this.#agent,
          hostname: this.#url.hostname,
          port: this.#url.port,
          method: spec.method,
          path: spec.path,
          headers,
        },
        (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          )
          response.on('error', reject)
        },
      )
      outgoing.on('error', reject)
      outgoing.end(spec.body)
    })
  }

  /** Sends a JSON body with POST. */
  postJson(
    path: string,
    body: unknown,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<LoopbackReply> {
    const json = JSON.stringify(body)
    return this.send({
      method: 'POST',
      path,
      headers: { ...headers, 'content-type': 'application/json' },
      body: json,
    })
  }

  /** Sends an `application/x-www-form-urlencoded` body with POST. */
  postForm(path: string, fields: Readonly<Record<string, string>>): Promise<LoopbackReply> {
    const body = new URLSearchParams(fields).toString()
    return this.send({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    })
  }

  close(): void {
    this.#agent.destroy()
  }
}

/**
 * Reads one string member of a JSON response body, or undefined when the body is not JSON or lacks it.
 *
 * @example
 * const next = stringMember(reply.text, 'refresh_token')
 */
export function stringMember(text: string, name: string): string | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  const value = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, name) : undefined
  return typeof value === 'string' ? value : undefined
}
