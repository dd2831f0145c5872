import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { isId } from '../../domain/ids.ts'
import { revokeAllSessions, revokeSession } from '../../domain/sessions.ts'
import type { SessionRecord } from '../../store/ports.ts'
import type { AppContext } from '../app-context.ts'
import { authenticate } from '../authenticate.ts'
import { clearingCookies } from '../cookies.ts'
import { reject } from '../problem.ts'
import { recordRequestEvent, sessionSubject } from '../record-security-event.ts'
import { publicUser } from '../token-response.ts'
import { PublicUserSchema, SessionViewSchema } from './schemas.ts'

const PasswordBody = Type.Object(
  {
    current_password: Type.String({ minLength: 1, maxLength: 1024 }),
    new_password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
)
const SessionParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
)
const RevokeAllQuery = Type.Object(
  { keep_current: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) },
  { additionalProperties: false },
)

function sessionView(session: SessionRecord, currentId: string): Record<string, unknown> {
  return {
    id: session.id,
    created_at: session.createdAt,
    last_used_at: session.lastUsedAt,
    expires_at: session.expiresAt,
    ip: session.ip,
    user_agent: session.userAgent,
    current: session.id === currentId,
  }
}

/**
 * The signed-in user's own endpoints: who am I, my devices, revoke one or all, change password.
 * Each authenticates with the access token and checks the live session (see authenticate.ts).
 *
 * @example
 * registerAccountRoutes(app, ctx)
 */
export function registerAccountRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    '/v1/me',
    {
      schema: {
        summary: 'The signed-in user and the current session',
        response: { 200: Type.Object({ user: PublicUserSchema, session: SessionViewSchema }) },
      },
    },
    async (request) => {
      const auth = await authenticate(request, ctx)
      return { user: publicUser(auth.user), session: sessionView(auth.session, auth.session.id) }
    },
  )

  app.get(
    '/v1/sessions',
    {
      schema: {
        summary: "The user's active sessions",
        response: { 200: Type.Object({ sessions: Type.Array(SessionViewSchema) }) },
      },
    },
    async (request) => {
      const auth = await authenticate(request, ctx)
      const sessions = await ctx.store.sessions.listActiveForUser(auth.user.id, ctx.clock.nowSeconds())
      return { sessions: sessions.map((s) => sessionView(s, auth.session.id)) }
    },
  )

  app.delete(
    '/v1/sessions/:id',
    { schema: { summary: 'Revoke one session of the user', params: SessionParams } },
    async (request, reply) => {
      const auth = await authenticate(request, ctx)
      const { id } = request.params as { id: string }
      if (!isId('ses', id))
        throw reject('invalid_request', { field: 'id', message: 'id is not a session id' })
      // Another user's session id answers like an unknown one: 404, no oracle for valid ids.
      if (!(await revokeSession(ctx.sessions, auth.user.id, id, 'user_revoked'))) {
        throw reject('invalid_request', { status: 404, field: 'id', message: 'no such active session' })
      }
      if (id === auth.session.id) reply.header('set-cookie', clearingCookies())
      return reply.code(204).send()
    },
  )

  app.delete(
    '/v1/sessions',
    {
      schema: {
        summary: 'Revoke all sessions of the user (keep_current=true keeps this one)',
        querystring: RevokeAllQuery,
      },
    },
    async (request, reply) => {
      const auth = await authenticate(request, ctx)
      const keepCurrent = (request.query as { keep_current?: string }).keep_current === 'true'
      await revokeAllSessions(ctx.sessions, auth.user.id, {
        reason: 'user_revoked_all',
        ...(keepCurrent ? { exceptSessionId: auth.session.id } : {}),
      })
      if (!keepCurrent) reply.header('set-cookie', clearingCookies())
      return reply.code(204).send()
    },
  )

  app.post(
    '/v1/password',
    { schema: { summary: 'Change the password; ends every other session', body: PasswordBody } },
    async (request, reply) => {
      const auth = await authenticate(request, ctx)
      const body = request.body as { current_password: string; new_password: string }
      // A stolen access token must not become a fast oracle for the current password.
      const decision = await ctx.throttle.consume(
        `password:user:${auth.user.id}`,
        ctx.config.throttle.loginPerAccount,
      )
      if (!decision.allowed) {
        ctx.metrics.recordThrottled('password_per_user')
        throw reject('rate_limited', { retryAfterSeconds: decision.retryAfterSeconds })
      }
      const outcome = await ctx.accounts.changePassword({
        userId: auth.user.id,
        currentPassword: body.current_password,
        newPassword: body.new_password,
      })
      if (!outcome.ok) {
        if (outcome.reason === 'invalid_credentials')
          throw reject('invalid_credentials', { field: 'current_password' })
        throw reject('invalid_request', { field: outcome.field, message: outcome.message })
      }
      const ended = await revokeAllSessions(ctx.sessions, auth.user.id, {
        reason: 'password_changed',
        exceptSessionId: auth.session.id,
      })
      const changed = { ...sessionSubject(auth.session), details: { other_sessions_revoked: ended.length } }
      await recordRequestEvent(ctx, request, { type: 'password_changed', ...changed })
      return reply.code(204).send()
    },
  )
}
