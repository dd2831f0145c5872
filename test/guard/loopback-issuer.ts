import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A small auth-server stand-in on loopback that speaks docs/guard-protocol.md exactly: RFC 8414 metadata,
 * a JWKS, the SSE revocation feed (snapshot, resume by `Last-Event-ID`, live events, pings) and the
 * `max_uses` counter. It counts every request, so tests can prove what the guard did and did not call.
 * (End-to-end tests against the real auth server live elsewhere.)
 */
export interface LoopbackIssuer {
  readonly url: string
  readonly counts: { metadata: number; jwks: number; feedConnections: number; tokenUses: number }
  /** `Last-Event-ID` header of every feed connection, in order (`undefined` when absent). */
  readonly feedLastEventIds: (string | undefined)[]
  /** The JWKS served from now on. */
  setJwks(keys: readonly unknown[]): void
  revokeSessions(sids: readonly string[], sub: string, at: number): void
  setUserNotBefore(sub: string, at: number): void
  ping(at: number): void
  /** Writes raw bytes to every open feed stream (for protocol-violation tests). */
  writeRaw(text: string): void
  /** Ends every open feed stream from the server side. */
  dropFeeds(): void
  /** `refuse`: the feed answers 503; `silent`: 200 and headers, then nothing. */
  setFeedMode(mode: 'normal' | 'refuse' | 'silent'): void
  close(): Promise<void>
}

export const CLIENT = { id: 'orders-api', secret: 'orders-api-secret-0123456789' } as const
const instance = 'loop'
const windowSeconds = 905

interface BufferedEvent {
  readonly sequence: number
  readonly type: string
  readonly data: unknown
}

/**
 * Starts the stand-in on an ephemeral loopback port; `issuer` in its metadata is its own URL unless given.
 *
 * @example
 * const issuer = await startLoopbackIssuer()
 * issuer.setJwks([exportPublicJwk(key)])
 */
export async function startLoopbackIssuer(
  options: { readonly metadataIssuer?: string } = {},
): Promise<LoopbackIssuer> {
  const counts = { metadata: 0, jwks: 0, feedConnections: 0, tokenUses: 0 }
  const feedLastEventIds: (string | undefined)[] = []
  const streams = new Set<ServerResponse>()
  const events: BufferedEvent[] = []
  const sessions = new Map<string, { sub: string; at: number }>()
  const users = new Map<string, number>()
  const uses = new Map<string, number>()
  let jwks: readonly unknown[] = []
  let feedMode: 'normal' | 'refuse' | 'silent' = 'normal'
  let sequence = 0
  let url = ''

  const publish = (type: string, data: unknown): void => {
    sequence += 1
    const event = { sequence, type, data }
    if (type !== 'ping') events.push(event)
    for (const stream of streams) writeEvent(stream, event)
  }

  const serveFeed = (request: IncomingMessage, response: ServerResponse): void => {
    counts.feedConnections += 1
    const lastEventId = request.headers['last-event-id']
    feedLastEventIds.push(typeof lastEventId === 'string' ? lastEventId : undefined)
    if (!isClient(request) || feedMode === 'refuse') {
      sendJson(response, isClient(request) ? 503 : 401, {
        error: isClient(request) ? 'temporarily_unavailable' : 'invalid_client',
      })
      return
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
    response.flushHeaders()
    streams.add(response)
    response.on('close', () => streams.delete(response))
    if (feedMode === 'silent') return
    const resumeFrom = parseOwnEventId(lastEventId)
    if (resumeFrom !== undefined && resumeFrom <= sequence) {
      writeEvent(response, { sequence, type: 'resume', data: {} })
      for (const event of events) if (event.sequence > resumeFrom) writeEvent(response, event)
      return
    }
    writeEvent(response, {
      sequence,
      type: 'snapshot',
      data: {
        sessions: [...sessions].map(([sid, { sub, at }]) => ({ sid, sub, at })),
        users: [...users].map(([sub, at]) => ({ sub, not_before: at })),
        window_seconds: windowSeconds,
      },
    })
  }

  const serveTokenUses = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    counts.tokenUses += 1
    if (!isClient(request)) return sendJson(response, 401, { error: 'invalid_client' })
    const body = JSON.parse(await readBody(request)) as { iss: string; jti: string; max_uses: number }
    // One JavaScript thread: read-and-increment with no await between them is atomic.
    const key = `${body.iss}\n${body.jti}`
    const used = uses.get(key) ?? 0
    const allowed = used < body.max_uses
    if (allowed) uses.set(key, used + 1)
    sendJson(response, 200, { allowed, remaining: Math.max(0, body.max_uses - used - (allowed ? 1 : 0)) })
  }

  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0]
    if (path === '/.well-known/oauth-authorization-server') {
      counts.metadata += 1
      return sendJson(response, 200, {
        issuer: options.metadataIssuer ?? url,
        jwks_uri: `${url}/.well-known/jwks.json`,
      })
    }
    if (path === '/.well-known/jwks.json') {
      counts.jwks += 1
      return sendJson(response, 200, { keys: jwks })
    }
    if (path === '/v1/revocations' && request.method === 'GET') return serveFeed(request, response)
    if (path === '/v1/token-uses' && request.method === 'POST') {
      serveTokenUses(request, response).catch(() => sendJson(response, 400, { error: 'invalid_request' }))
      return
    }
    sendJson(response, 404, { error: 'not_found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    counts,
    feedLastEventIds,
    setJwks: (keys) => {
      jwks = keys
    },
    revokeSessions: (sids, sub, at) => {
      for (const sid of sids) sessions.set(sid, { sub, at })
      publish('session_revoked', { sids, sub, at })
    },
    setUserNotBefore: (sub, at) => {
      users.set(sub, at)
      publish('user_not_before', { sub, at })
    },
    ping: (at) => publish('ping', { at }),
    writeRaw: (text) => {
      for (const stream of streams) stream.write(text)
    },
    dropFeeds: () => {
      for (const stream of streams) stream.destroy()
      streams.clear()
    },
    setFeedMode: (mode) => {
      feedMode = mode
    },
    close: async () => {
      for (const stream of streams) stream.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function writeEvent(stream: ServerResponse, event: BufferedEvent): void {
  stream.write(
    `id: ${instance}-${event.sequence}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`,
  )
}

function parseOwnEventId(header: string | string[] | undefined): number | undefined {
  if (typeof header !== 'string' || !header.startsWith(`${instance}-`)) return undefined
  const value = Number(header.slice(instance.length + 1))
  return Number.isSafeInteger(value) ? value : undefined
}

function isClient(request: IncomingMessage): boolean {
  const expected = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`
  return request.headers.authorization === expected
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(body))
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
