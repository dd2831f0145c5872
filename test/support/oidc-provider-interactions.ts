/**
 * The test OpenID Provider's interaction pages (`oidc-provider-fixture.ts`), in place of oidc-provider's
 * devInteractions: a login page that checks the account exists and has a cancel button, and a consent step that
 * grants at once. Public oidc-provider API only (`interactionDetails`, `interactionFinished`, `Grant`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** An account the provider can sign in, as `addAccount` stored it. */
export interface OidcTestAccount {
  readonly email: string
  readonly emailVerified: boolean
  readonly name?: string
}

/** The slice of oidc-provider's API used here (the package ships no types). */
export interface Interaction {
  readonly uid: string
  readonly prompt: { readonly name: string; readonly details: Readonly<Record<string, unknown>> }
  readonly params: Readonly<Record<string, unknown>>
  readonly session?: { readonly accountId?: string }
  readonly grantId?: string
}
export interface Grant {
  addOIDCScope(scope: string): void
  addOIDCClaims(claims: string[]): void
  save(): Promise<string>
}
export interface Provider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options: { mergeWithLastSubmission: boolean },
  ): Promise<void>
  Grant: {
    new (init: { accountId: string; clientId: string }): Grant
    find(id: string): Promise<Grant | undefined>
  }
}

/**
 * Serves `/interaction/<uid>` (GET: login page, or auto-consent), `…/login` and `…/abort` (POST).
 *
 * @example
 * if (req.url?.startsWith('/interaction/')) await handleInteraction(provider, accounts, req, res)
 */
export async function handleInteraction(
  provider: Provider,
  accounts: ReadonlyMap<string, OidcTestAccount>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(
    new URL(req.url ?? '/', 'http://x').pathname,
  )
  if (path === null) return void res.writeHead(404).end()
  const interaction = await provider.interactionDetails(req, res)
  // The interaction comes from the cookie; a page of another interaction (a stale tab) must not act on it.
  if (interaction.uid !== path[1]) throw new Error('this page belongs to another sign-in; start again')
  const prompt = interaction.prompt.name
  const step = `${req.method} ${path[2] ?? 'page'}`
  if (step === 'GET page' && prompt === 'login') return sendHtml(res, loginPage(interaction.uid, false))
  if (step === 'GET page' && prompt === 'consent') return grantConsent(provider, interaction, req, res)
  if (step === 'POST login' && prompt === 'login') {
    const login = (await readForm(req)).get('login') ?? ''
    const sub = accounts.has(login) ? login : [...accounts].findLast(([, a]) => a.email === login)?.[0]
    if (sub === undefined) return sendHtml(res, loginPage(interaction.uid, true))
    const result = { login: { accountId: sub } }
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false })
  }
  if (step === 'POST abort') {
    const result = { error: 'access_denied', error_description: 'End-User cancelled the sign-in' }
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false })
  }
  res.writeHead(405, { 'content-type': 'text/plain' }).end(`no ${step} for prompt ${prompt}`)
}

/** Grants exactly what the provider reports missing, as a user clicking "Allow" would. */
async function grantConsent(
  provider: Provider,
  interaction: Interaction,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const accountId = interaction.session?.accountId
  if (accountId === undefined) throw new Error('consent prompt without a signed-in account')
  const existing =
    interaction.grantId === undefined ? undefined : await provider.Grant.find(interaction.grantId)
  const grant = existing ?? new provider.Grant({ accountId, clientId: String(interaction.params.client_id) })
  const scopes = stringList(interaction.prompt.details.missingOIDCScope)
  if (scopes.length > 0) grant.addOIDCScope(scopes.join(' '))
  const claims = stringList(interaction.prompt.details.missingOIDCClaims)
  if (claims.length > 0) grant.addOIDCClaims(claims)
  const result = { consent: { grantId: await grant.save() } }
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true })
}

function loginPage(uid: string, isRetry: boolean): string {
  const base = `/interaction/${encodeURIComponent(uid)}`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body>
<h1>Sign in to the test provider</h1>
${isRetry ? '<p id="login-error">Unknown account. Enter a sub or an email that was added.</p>' : ''}
<form id="login-form" method="post" action="${base}/login">
<label for="login">Subject or email</label> <input id="login" name="login" autocomplete="off" required autofocus>
<button id="sign-in" type="submit">Sign in</button>
</form>
<form id="cancel-form" method="post" action="${base}/abort"><button id="cancel" type="submit">Cancel</button></form>
</body></html>`
}

function sendHtml(res: ServerResponse, html: string): void {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html)
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

/**
 * Escapes text for HTML element content and double-quoted attributes.
 *
 * @example
 * escapeHtml('<b>') // '&#60;b&#62;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
