import type { FastifyInstance, FastifySchema } from 'fastify'
import { META_SCOPES } from '../../domain/scopes.ts'
import type { AppContext } from '../app-context.ts'
import { authenticateClient, requireClientScope } from '../client-auth.ts'
import { reject } from '../problem.ts'
import { RevocationStreams } from '../revocation-streams.ts'

/** Guards keep one stream each; this bounds sockets and memory whatever a misbehaving client does. */
const MAX_STREAMS = 256
const PING_INTERVAL_MS = 5000
const MAX_BUFFERED_BYTES = 1024 * 1024
const MAX_LAST_EVENT_ID_CHARS = 64
const FEED_SCHEMA: FastifySchema & { summary: string } = {
  summary: 'Revocation feed, text/event-stream (client with revocations:read; HTTP Basic)',
}

/**
 * GET /v1/revocations: the server-sent-event revocation feed for guards without Redis
 * (docs/guard-protocol.md). HTTP Basic, client with `revocations:read`. The streams end when the app
 * closes (a `preClose` hook), so shutdown never waits on connected guards.
 *
 * @example
 * registerRevocationFeedRoute(service, ctx)
 */
export function registerRevocationFeedRoute(app: FastifyInstance, ctx: AppContext): void {
  const streams = new RevocationStreams({
    feed: ctx.revocationFeed,
    clock: ctx.clock,
    maxStreams: MAX_STREAMS,
    pingIntervalMs: PING_INTERVAL_MS,
    maxBufferedBytes: MAX_BUFFERED_BYTES,
  })
  app.addHook('preClose', async () => streams.closeAll())

  app.get('/v1/revocations', { schema: FEED_SCHEMA }, async (request, reply) => {
    const client = await authenticateClient(request, ctx)
    requireClientScope(client, META_SCOPES.readRevocations)
    if (streams.isFull) {
      throw reject('rate_limited', { status: 503, retryAfterSeconds: 5, message: 'too many open feeds' })
    }
    const header = request.headers['last-event-id']
    const lastEventId =
      typeof header === 'string' && header.length <= MAX_LAST_EVENT_ID_CHARS ? header : undefined
    reply.hijack()
    await streams.open(reply.raw, lastEventId)
    return reply
  })
}
