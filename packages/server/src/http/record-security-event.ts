/**
 * Records a security event caused by an HTTP request, with the request's client address (through trusted
 * proxies only, as Fastify's `trustProxy` decides) and user agent, so route handlers add one line each.
 */
import type { FastifyRequest } from 'fastify'
import type { SecurityEventInput } from '../domain/security-event-types.ts'
import type { SessionRecord } from '../store/ports.ts'
import type { AppContext } from './app-context.ts'

/**
 * Records `event` with the request's address and user agent (the event's own values win). Never rejects.
 *
 * @example
 * await recordRequestEvent(ctx, request, { type: 'login_succeeded', ...sessionSubject(issued.session), details: { method: 'password' } })
 */
export function recordRequestEvent(
  ctx: Pick<AppContext, 'securityRecord'>,
  request: FastifyRequest,
  event: SecurityEventInput,
): Promise<void> {
  const userAgent = request.headers['user-agent']
  const source = { ip: request.ip || null, userAgent: typeof userAgent === 'string' ? userAgent : null }
  return ctx.securityRecord.record({ ...source, ...event })
}

/**
 * The user, session and client an event about a session names.
 *
 * @example
 * sessionSubject(issued.session) // { userId: 'usr_…', sessionId: 'ses_…', clientId: 'tessera' }
 */
export function sessionSubject(session: Pick<SessionRecord, 'id' | 'userId' | 'clientId'>): {
  userId: string
  sessionId: string
  clientId: string
} {
  return { userId: session.userId, sessionId: session.id, clientId: session.clientId }
}
