import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { META_SCOPES } from '../../domain/scopes.ts'
import { type EventQueryField, parseEventQuery } from '../../domain/security-event-query.ts'
import { securityEventView } from '../../domain/security-event-view.ts'
import type { AppContext } from '../app-context.ts'
import { authenticateClient, requireClientScope } from '../client-auth.ts'
import { reject } from '../problem.ts'

const EventsQuery = Type.Object(
  {
    user_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Only events of this user.' }),
    ),
    type: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Only events of this type.' }),
    ),
    since: Type.Optional(
      Type.String({ minLength: 1, maxLength: 40, description: 'Epoch seconds or RFC 3339; inclusive.' }),
    ),
    until: Type.Optional(
      Type.String({ minLength: 1, maxLength: 40, description: 'Epoch seconds or RFC 3339; exclusive.' }),
    ),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'next_cursor of the previous page.' }),
    ),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1–1000, default 100.' })),
  },
  { additionalProperties: false },
)

const EventSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  at: Type.Integer(),
  user_id: Type.Union([Type.String(), Type.Null()]),
  session_id: Type.Union([Type.String(), Type.Null()]),
  client_id: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(
    Type.String(),
    Type.Union([Type.String(), Type.Integer(), Type.Boolean(), Type.Null()]),
  ),
})

const EventsResponse = Type.Object({
  events: Type.Array(EventSchema),
  next_cursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as cursor for the next (older) page; null on the last page.',
  }),
})

/** The query parameter each parsed field came from. */
const QUERY_NAMES: Readonly<Record<EventQueryField, string>> = {
  user: 'user_id',
  type: 'type',
  since: 'since',
  until: 'until',
  cursor: 'cursor',
  limit: 'limit',
}

/**
 * GET /v1/admin/events: the security record, newest first, for a service client with `events:read` (an
 * admin console, a SIEM collector). Every parameter is parsed and bounded; a bad one is 400 naming it.
 *
 * @example
 * registerAdminEventsRoute(service, ctx)
 */
export function registerAdminEventsRoute(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    '/v1/admin/events',
    {
      schema: {
        summary: 'List security events, newest first (client with events:read; HTTP Basic)',
        querystring: EventsQuery,
        response: { 200: EventsResponse },
      },
    },
    async (request, reply) => {
      const client = await authenticateClient(request, ctx)
      requireClientScope(client, META_SCOPES.readEvents)
      const query = request.query as Record<string, string | undefined>
      const parsed = parseEventQuery(
        { ...query, user: query.user_id },
        { now: ctx.clock.nowSeconds(), relativeTimes: false },
      )
      if (!parsed.ok) {
        throw reject('invalid_request', { field: QUERY_NAMES[parsed.field], message: parsed.message })
      }
      const events = await ctx.store.securityEvents.list(parsed.filter)
      const last = events.at(-1)
      return reply.header('cache-control', 'no-store').send({
        events: events.map(securityEventView),
        next_cursor: last !== undefined && events.length === parsed.filter.limit ? last.id : null,
      })
    },
  )
}
