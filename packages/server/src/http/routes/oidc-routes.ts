import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { resolveOidcAccount } from '../../domain/oidc/oidc-accounts.ts'
import type { OidcFailure } from '../../domain/oidc/oidc-id-token.ts'
import { completeOidcLogin, OIDC_LOGIN_SECONDS, startOidcLogin } from '../../domain/oidc/oidc-login.ts'
import { OidcProviderUnavailableError } from '../../domain/oidc/oidc-providers.ts'
import { resolveReturnTo } from '../../domain/oidc/return-to.ts'
import { startSession } from '../../domain/sessions.ts'
import type { AppContext } from '../app-context.ts'
import { authenticate } from '../authenticate.ts'
import { OIDC_LOGIN_COOKIE, parseCookieHeader, serializeCookie } from '../cookies.ts'
import { recordOidcFailure, recordOidcSignIn } from '../oidc-sign-in-events.ts'
import { sendOidcErrorPage } from '../pages/oidc-error-page.ts'
import { reject } from '../problem.ts'
import { recordRequestEvent, sessionSubject } from '../record-security-event.ts'
import { clientContextOf, sessionCookies } from '../token-response.ts'

const ProviderParams = Type.Object(
  { id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }) },
  { additionalProperties: false },
)
const StartQuery = Type.Object(
  { return_to: Type.Optional(Type.String({ maxLength: 2048 })) },
  { additionalProperties: false },
)
// The provider's answer: RFC 6749 §4.1.2 (code, state), §4.1.2.1 (error…), RFC 9207 (iss); OIDC adds
// session_state, and providers add their own (Google: scope, authuser, prompt, hd). Bounded, not enumerated.
const CallbackQuery = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 4096 }), {
  maxProperties: 16,
})
const IdentityViewSchema = Type.Object({
  id: Type.String(),
  provider: Type.String(),
  issuer: Type.String(),
  subject: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  email_verified: Type.Boolean(),
  created_at: Type.Integer(),
  last_login_at: Type.Integer(),
})

const clearLoginCookie = (): string =>
  serializeCookie({ name: OIDC_LOGIN_COOKIE, value: '', path: '/', maxAgeSeconds: 0, sameSite: 'Lax' })

/**
 * Sign-in through upstream OpenID Connect providers (SPEC §1, issue "Sign in with Google, Microsoft…"):
 * `GET /v1/oidc/{id}/start?return_to=…` sends the browser to the provider with a login bound to it by the
 * `__Host-tessera-oidc` cookie; `GET /v1/oidc/{id}/callback` completes it into an ordinary Tessera session in
 * cookie mode and redirects to `return_to`. A signed-in user links another provider with
 * `POST /v1/oidc/{id}/link`; `GET /v1/identities` and `DELETE /v1/identities/{id}` list and unlink.
 *
 * @example
 * registerOidcRoutes(app, ctx)
 */
export function registerOidcRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { config } = ctx
  const providerOf = (request: FastifyRequest): string => {
    const { id } = request.params as { id: string }
    if (!ctx.oidc.providers.has(id))
      throw reject('invalid_request', { status: 404, field: 'id', message: 'no such provider' })
    return id
  }
  const returnToOf = (value: string | undefined): string => {
    const resolved = resolveReturnTo(value ?? '/', {
      issuer: config.issuer,
      allowedOrigins: config.allowedOrigins,
    })
    if (resolved === undefined) {
      throw reject('invalid_request', { field: 'return_to', message: 'return_to is not an allowed address' })
    }
    return resolved
  }
  const redirectToProvider = async (
    reply: FastifyReply,
    start: Parameters<typeof startOidcLogin>[1],
  ): Promise<{ authorizationUrl: string }> => {
    const started = await startOidcLogin(ctx.oidc.login, start)
    reply.header(
      'set-cookie',
      serializeCookie({
        name: OIDC_LOGIN_COOKIE,
        value: started.browserBinding,
        path: '/',
        maxAgeSeconds: OIDC_LOGIN_SECONDS,
        sameSite: 'Lax',
      }),
    )
    return { authorizationUrl: started.authorizationUrl }
  }

  app.get(
    '/v1/oidc/:id/start',
    {
      schema: {
        summary: 'Start signing in with an OpenID Connect provider',
        params: ProviderParams,
        querystring: StartQuery,
      },
    },
    async (request, reply) => {
      const providerId = providerOf(request)
      const returnTo = returnToOf((request.query as { return_to?: string }).return_to)
      let started: { authorizationUrl: string }
      try {
        started = await redirectToProvider(reply, { providerId, returnTo, intent: 'login', userId: null })
      } catch (error) {
        if (!(error instanceof OidcProviderUnavailableError)) throw error
        // A person clicked a button: answer with a page, still 503 with Retry-After for anything automated.
        reply.header('retry-after', String(error.retryAfterSeconds))
        return sendOidcErrorPage(reply, {
          status: 503,
          reason: 'rate_limited',
          detail: 'provider_unreachable',
          providerName: ctx.oidc.providers.nameOf(providerId),
        })
      }
      return reply.redirect(started.authorizationUrl, 303)
    },
  )

  app.post(
    '/v1/oidc/:id/link',
    {
      schema: {
        summary: 'Link an OpenID Connect provider to the signed-in account (browser)',
        params: ProviderParams,
        body: Type.Object(
          { return_to: Type.Optional(Type.String({ maxLength: 2048 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const providerId = providerOf(request)
      const auth = await authenticate(request, ctx)
      const returnTo = returnToOf((request.body as { return_to?: string } | undefined)?.return_to)
      const started = await redirectToProvider(reply, {
        providerId,
        returnTo,
        intent: 'link',
        userId: auth.user.id,
      })
      return reply.header('cache-control', 'no-store').send({ authorization_url: started.authorizationUrl })
    },
  )

  app.get(
    '/v1/oidc/:id/callback',
    {
      schema: {
        summary: 'Where the OpenID Connect provider returns the browser',
        params: ProviderParams,
        querystring: CallbackQuery,
      },
    },
    async (request, reply) => {
      const providerId = providerOf(request)
      const providerName = ctx.oidc.providers.nameOf(providerId)
      reply.header('set-cookie', [clearLoginCookie()])
      const fail = (failure: OidcFailure): FastifyReply => {
        ctx.metrics.recordLogin('failure')
        void recordOidcFailure(ctx, request, providerId, failure)
        request.log.info(
          { provider: providerId, reason: failure.reason, detail: failure.detail },
          'oidc login refused',
        )
        const status = failure.reason === 'rate_limited' ? 503 : 400
        return sendOidcErrorPage(reply, {
          status,
          reason: failure.reason,
          detail: failure.detail,
          providerName,
        })
      }
      let completed: Awaited<ReturnType<typeof completeOidcLogin>>
      try {
        completed = await completeOidcLogin(ctx.oidc.login, {
          providerId,
          callbackUrl: new URL(request.url, config.issuer),
          browserBinding: parseCookieHeader(request.headers.cookie).get(OIDC_LOGIN_COOKIE),
        })
      } catch (error) {
        if (error instanceof OidcProviderUnavailableError)
          return fail({ ok: false, reason: 'rate_limited', detail: 'provider_unreachable' })
        throw error
      }
      if (!completed.ok) return fail(completed)
      const settings = (await ctx.oidc.providers.get(providerId)).settings
      const account = await resolveOidcAccount(ctx.oidc.accounts, completed.identity, completed.login, {
        providerId,
        linkByVerifiedEmail: settings.linkByVerifiedEmail,
      })
      if (!account.ok) return fail(account)
      ctx.metrics.recordLogin('success')
      // The provider's redirect carries no Origin, but the session is a browser's: cookie mode, bound.
      const issued = await startSession(ctx.sessions, account.user, {
        ...clientContextOf(request, ctx),
        bindFingerprint: config.cookies.fingerprintBinding,
      })
      const signIn = { session: issued.session, how: account.how, provider: providerId }
      await recordOidcSignIn(ctx, request, { ...signIn, intent: completed.login.intent })
      // Cookie mode (SPEC §3): the page at return_to gets its access token from POST /v1/refresh; no token
      // ever travels in a URL, where history, logs and Referer would keep it.
      const cookies = [clearLoginCookie(), ...sessionCookies(ctx, issued)]
      return reply.header('set-cookie', cookies).redirect(completed.login.returnTo, 303)
    },
  )

  app.get(
    '/v1/identities',
    {
      schema: {
        summary: 'The provider identities linked to the signed-in user',
        response: { 200: Type.Object({ identities: Type.Array(IdentityViewSchema) }) },
      },
    },
    async (request, reply) => {
      const auth = await authenticate(request, ctx)
      const identities = await ctx.store.identities.listForUser(auth.user.id)
      return reply.header('cache-control', 'no-store').send({
        identities: identities.map((identity) => ({
          id: identity.id,
          provider: identity.providerId,
          issuer: identity.issuer,
          subject: identity.subject,
          email: identity.email,
          email_verified: identity.emailVerified,
          created_at: identity.createdAt,
          last_login_at: identity.lastLoginAt,
        })),
      })
    },
  )

  app.delete(
    '/v1/identities/:id',
    {
      schema: {
        summary: 'Unlink one identity',
        params: Type.Object(
          { id: Type.String({ minLength: 1, maxLength: 64 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const auth = await authenticate(request, ctx)
      const { id } = request.params as { id: string }
      const identities = await ctx.store.identities.listForUser(auth.user.id)
      if (!identities.some((identity) => identity.id === id)) {
        throw reject('invalid_request', { status: 404, field: 'id', message: 'no such identity' })
      }
      // Never strand an account: the last way to sign in stays until a password is set.
      if (auth.user.passwordHash === null && identities.length === 1) {
        throw reject('invalid_request', {
          status: 409,
          field: 'id',
          message: 'this is the only way to sign in to this account; set a password first',
        })
      }
      await ctx.store.identities.delete(auth.user.id, id)
      const provider = identities.find((identity) => identity.id === id)?.providerId ?? 'unknown'
      const unlinked = { ...sessionSubject(auth.session), details: { provider } }
      await recordRequestEvent(ctx, request, { type: 'oidc_unlinked', ...unlinked })
      return reply.code(204).send()
    },
  )
}
