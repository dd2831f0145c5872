import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { startSession } from '../../domain/sessions.ts'
import type { ThrottleRule } from '../../domain/throttle.ts'
import type { ThrottledRule } from '../../metrics/tessera-metrics.ts'
import type { AppContext } from '../app-context.ts'
import { readDeviceCookie, rememberDevice } from '../device-cookies.ts'
import { reject } from '../problem.ts'
import { recordRequestEvent, sessionSubject } from '../record-security-event.ts'
import { clientContextOf, sendTokenResponse } from '../token-response.ts'
import { TokenResponseSchema } from './schemas.ts'

const SignUpBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 320 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
)
const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 320 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
)

async function throttleOrReject(
  ctx: AppContext,
  key: string,
  rule: ThrottleRule,
  ruleName: ThrottledRule,
): Promise<void> {
  const decision = await ctx.throttle.consume(key, rule)
  if (decision.allowed) return
  ctx.metrics.recordThrottled(ruleName)
  throw reject('rate_limited', { retryAfterSeconds: decision.retryAfterSeconds })
}

/**
 * POST /v1/signup and POST /v1/login: password accounts. Login failure is one response, byte for byte,
 * for an unknown user, a disabled user and a wrong password, after the same argon2 work (SPEC §3).
 *
 * @example
 * registerPasswordLoginRoutes(app, ctx)
 */
export function registerPasswordLoginRoutes(app: FastifyInstance, ctx: AppContext): void {
  const limits = ctx.config.throttle

  app.post(
    '/v1/signup',
    {
      schema: {
        summary: 'Create a password account and sign in',
        body: SignUpBody,
        response: { 201: TokenResponseSchema },
      },
    },
    async (request, reply) => {
      const body = request.body as { email: string; password: string; name?: string }
      await throttleOrReject(ctx, `signup:ip:${request.ip}`, limits.signupPerIp, 'signup_per_ip')
      const outcome = await ctx.accounts.signUp(body)
      if (!outcome.ok) {
        if (outcome.reason === 'email_taken') {
          throw reject('invalid_request', {
            status: 409,
            field: 'email',
            message: 'an account with this email already exists',
          })
        }
        throw reject('invalid_request', { field: outcome.field, message: outcome.message })
      }
      ctx.metrics.recordSignup()
      const issued = await startSession(ctx.sessions, outcome.user, clientContextOf(request, ctx))
      const signedUp = { ...sessionSubject(issued.session), details: { method: 'password' } } as const
      await recordRequestEvent(ctx, request, { type: 'signup', ...signedUp })
      rememberDevice(request, reply, ctx.devices, outcome.user.id)
      return sendTokenResponse(request, reply, ctx, issued, outcome.user, 201)
    },
  )

  app.post(
    '/v1/login',
    {
      schema: {
        summary: 'Sign in with email and password',
        body: LoginBody,
        response: { 200: TokenResponseSchema },
      },
    },
    async (request: FastifyRequest, reply) => {
      const body = request.body as { email: string; password: string }
      const admission = await ctx.loginThrottle.admit({
        ip: request.ip,
        email: body.email,
        deviceCookie: readDeviceCookie(request),
      })
      if (!admission.ok) {
        ctx.metrics.recordThrottled(admission.rule)
        const throttled = { attemptedEmail: body.email, details: { rule: admission.rule } }
        await recordRequestEvent(ctx, request, { type: 'login_throttled', ...throttled })
        throw reject('rate_limited', { retryAfterSeconds: admission.retryAfterSeconds })
      }
      const outcome = await ctx.accounts.authenticate(body)
      if (!outcome.ok) {
        await ctx.loginThrottle.recordFailure(admission.ticket)
        ctx.metrics.recordLogin('failure')
        // One record for an unknown user and a wrong password alike: the account is only a pseudonym.
        const failure = {
          attemptedEmail: body.email,
          details: { method: 'password', reason: 'invalid_credentials' },
        } as const
        await recordRequestEvent(ctx, request, { type: 'login_failed', ...failure })
        throw reject('invalid_credentials')
      }
      ctx.metrics.recordLogin('success')
      await ctx.loginThrottle.recordSuccess(admission.ticket)
      const issued = await startSession(ctx.sessions, outcome.user, clientContextOf(request, ctx))
      const signedIn = { ...sessionSubject(issued.session), details: { method: 'password' } } as const
      await recordRequestEvent(ctx, request, { type: 'login_succeeded', ...signedIn })
      rememberDevice(request, reply, ctx.devices, outcome.user.id)
      return sendTokenResponse(request, reply, ctx, issued, outcome.user, 200)
    },
  )
}
