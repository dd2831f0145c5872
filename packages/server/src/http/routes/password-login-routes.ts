import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { normalizeEmail } from '../../domain/email.ts'
import { startSession } from '../../domain/sessions.ts'
import type { ThrottleRule } from '../../domain/throttle.ts'
import type { ThrottledRule } from '../../metrics/tessera-metrics.ts'
import type { AppContext } from '../app-context.ts'
import { reject } from '../problem.ts'
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

/** The account key counts failures per account whatever the IP: rotating X-Forwarded-For buys nothing. */
function accountThrottleKey(email: string): string {
  const normalized = normalizeEmail(email)
  return `login:account:${normalized.ok ? normalized.email : email.trim().toLowerCase()}`
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
      await throttleOrReject(ctx, `login:ip:${request.ip}`, limits.loginPerIp, 'login_per_ip')
      const accountKey = accountThrottleKey(body.email)
      const standing = await ctx.throttle.peek(accountKey, limits.loginPerAccount)
      if (!standing.allowed) {
        ctx.metrics.recordThrottled('login_per_account')
        throw reject('rate_limited', { retryAfterSeconds: standing.retryAfterSeconds })
      }
      const outcome = await ctx.accounts.authenticate(body)
      if (!outcome.ok) {
        await ctx.throttle.consume(accountKey, limits.loginPerAccount)
        ctx.metrics.recordLogin('failure')
        throw reject('invalid_credentials')
      }
      ctx.metrics.recordLogin('success')
      await ctx.throttle.reset(accountKey)
      const issued = await startSession(ctx.sessions, outcome.user, clientContextOf(request, ctx))
      return sendTokenResponse(request, reply, ctx, issued, outcome.user, 200)
    },
  )
}
