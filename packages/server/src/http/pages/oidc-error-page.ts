import type { FastifyReply } from 'fastify'
import { html } from './html.ts'
import { sendPage } from './layout.ts'

/** What the person reading the page is told for each refusal detail; the rest get the generic text. */
const EXPLANATIONS: Readonly<Record<string, string>> = {
  link_required:
    'An account with this email address already exists. Sign in with your password, then link this provider from your account page.',
  'provider_error:access_denied': 'Sign-in was cancelled at the provider.',
  provider_unreachable: 'The identity provider could not be reached. Please try again in a minute.',
  account_disabled: 'This account is disabled.',
  identity_linked_to_another_account: 'This identity is already linked to another account.',
  unknown_expired_or_used_state:
    'This sign-in link has expired or was already used. Please start again from the sign-in page.',
  missing_browser_cookie:
    'This sign-in was started in another browser, or cookies are blocked. Please start again.',
  browser_mismatch: 'This sign-in was started in another browser. Please start again.',
}

/**
 * Answers a failed upstream login with a readable page (never a 500, never the provider's own text) that
 * still carries the SPEC §4 reason, in the page and in a `Tessera-Reason` header for scripts and tests.
 *
 * @example
 * return sendOidcErrorPage(reply, { status: 400, reason: 'csrf_failed', detail: 'missing_state', providerName: 'Google' })
 */
export function sendOidcErrorPage(
  reply: FastifyReply,
  failure: {
    readonly status: number
    readonly reason: string
    readonly detail: string
    readonly providerName: string
  },
): FastifyReply {
  const explanation =
    EXPLANATIONS[failure.detail] ?? `Signing in with ${failure.providerName} failed. Please start again.`
  reply.header('tessera-reason', failure.reason).header('tessera-detail', failure.detail)
  return sendPage(reply, {
    title: 'Sign-in failed',
    status: failure.status,
    body: html`<h1>Sign-in failed</h1>
<p>${explanation}</p>
<p><a href="/login">Back to sign in</a></p>
<p class="hint">Reason: <code>${failure.reason}</code> (${failure.detail})</p>`,
  })
}
