/**
 * The security events of a sign-in through an upstream OpenID Connect provider: the sign-in itself, and
 * the account it created or the identity it linked on the way.
 */
import type { FastifyRequest } from 'fastify'
import type { OidcAccountOutcome } from '../domain/oidc/oidc-accounts.ts'
import type { OidcFailure } from '../domain/oidc/oidc-id-token.ts'
import type { SessionRecord } from '../store/ports.ts'
import type { AppContext } from './app-context.ts'
import { recordRequestEvent, sessionSubject } from './record-security-event.ts'

/**
 * Records a completed OIDC sign-in: `login_succeeded`, plus `signup` for a new account or `oidc_linked`
 * for an identity attached on the way (`via: link` when a signed-in user asked for it).
 *
 * @example
 * await recordOidcSignIn(ctx, request, { session: issued.session, how: account.how, provider, intent })
 */
export async function recordOidcSignIn(
  ctx: Pick<AppContext, 'securityRecord'>,
  request: FastifyRequest,
  signIn: {
    readonly session: Pick<SessionRecord, 'id' | 'userId' | 'clientId'>
    readonly how: Extract<OidcAccountOutcome, { ok: true }>['how']
    readonly provider: string
    readonly intent: 'login' | 'link'
  },
): Promise<void> {
  const subject = sessionSubject(signIn.session)
  const { provider } = signIn
  if (signIn.how === 'created') {
    await recordRequestEvent(ctx, request, {
      type: 'signup',
      ...subject,
      details: { method: 'oidc', provider },
    })
  }
  if (signIn.how === 'linked') {
    const details = { provider, via: signIn.intent }
    await recordRequestEvent(ctx, request, { type: 'oidc_linked', ...subject, details })
  }
  const details = { method: 'oidc', provider } as const
  await recordRequestEvent(ctx, request, { type: 'login_succeeded', ...subject, details })
}

/**
 * Records a refused OIDC sign-in with its SPEC §4 reason and fixed detail code (never provider text).
 *
 * @example
 * void recordOidcFailure(ctx, request, providerId, failure)
 */
export function recordOidcFailure(
  ctx: Pick<AppContext, 'securityRecord'>,
  request: FastifyRequest,
  provider: string,
  failure: Pick<OidcFailure, 'reason' | 'detail'>,
): Promise<void> {
  const details = { method: 'oidc', reason: failure.reason, provider, detail: failure.detail } as const
  return recordRequestEvent(ctx, request, { type: 'login_failed', details })
}
