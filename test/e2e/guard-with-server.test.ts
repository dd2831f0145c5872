import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { runCli } from '../support/run-cli.ts'
import { createTestClient, type TestClient } from '../support/service-clients.ts'
import { spawnListening, stopProcess } from '../support/spawn-listening.ts'
import { bearer, call, PASSWORD, signUp, startTestServer, type TestServer } from '../support/test-server.ts'

const GUARD_SCRIPT = new URL('../support/guard-process.ts', import.meta.url).pathname

/** Starts a guard-protected API in another OS process; resolves with its URL. */
function spawnGuardedApi(issuer: string, client: TestClient): Promise<{ url: string; child: ChildProcess }> {
  return spawnListening(['--import', 'tsx', GUARD_SCRIPT], {
    ...process.env,
    ISSUER: issuer,
    AUDIENCE: 'orders-api',
    CLIENT_ID: client.id,
    CLIENT_SECRET: client.secret,
  })
}

/** Polls until the guard refuses the token; resolves with the refusal and how long it took. */
async function waitForRefusal(
  url: string,
  token: string,
  limitMs: number,
): Promise<{ reason: unknown; elapsedMs: number }> {
  const started = Date.now()
  while (Date.now() - started < limitMs) {
    const response = await call(url, '/orders', { headers: bearer(token) })
    if (response.status !== 200) return { reason: response.body.reason, elapsedMs: Date.now() - started }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return { reason: 'still accepted', elapsedMs: Date.now() - started }
}

describe('a guard in another process against the real auth server', () => {
  let t: TestServer
  let api: { url: string; child: ChildProcess }
  let client: TestClient

  before(async () => {
    // The guard's clock is the real one, so the server's must be too.
    t = await startTestServer({
      realIssuer: true,
      clock: { nowSeconds: () => Math.floor(Date.now() / 1000) },
      env: { TESSERA_ACCESS_TOKEN_AUDIENCES: 'orders-api' },
    })
    client = await createTestClient(t, 'revocations:read tokens:consume tokens:mint tokens:mint_users')
    api = await spawnGuardedApi(t.url, client)
  })
  after(async () => {
    await stopProcess(api.child)
    await t.close()
  })

  test('logout on the server: the guard refuses the still-unexpired token with session_revoked within 1 s', async () => {
    const user = await signUp(t.url)
    const accepted = await call(api.url, '/orders', { headers: bearer(user.accessToken) })
    assert.equal(accepted.status, 200, accepted.text)
    assert.equal(accepted.body.sessionId, user.sessionId)

    const logout = await call(t.url, '/v1/logout', { body: { refresh_token: user.refreshToken } })
    assert.equal(logout.status, 204)
    const refusal = await waitForRefusal(api.url, user.accessToken, 3000)
    assert.equal(refusal.reason, 'session_revoked')
    assert.ok(refusal.elapsedMs < 1000, `revocation took ${refusal.elapsedMs} ms`)
  })

  test('a password change ends the other sessions at the guard too', async () => {
    const user = await signUp(t.url)
    const other = await call(t.url, '/v1/login', { body: { email: user.email, password: PASSWORD } })
    const otherToken = other.body.access_token as string
    assert.equal((await call(api.url, '/orders', { headers: bearer(otherToken) })).status, 200)
    const change = await call(t.url, '/v1/password', {
      headers: bearer(user.accessToken),
      body: { current_password: PASSWORD, new_password: 'a brand new passphrase' },
    })
    assert.equal(change.status, 204)
    const refusal = await waitForRefusal(api.url, otherToken, 3000)
    assert.equal(refusal.reason, 'session_revoked')
    assert.ok(refusal.elapsedMs < 1000)
    assert.equal(
      (await call(api.url, '/orders', { headers: bearer(user.accessToken) })).status,
      200,
      'the current one lives',
    )
  })

  test("revoke-all moves the user's not-before: even a session-less token minted for the user dies at the guard", async () => {
    const user = await signUp(t.url)
    const minted = await call(t.url, '/v1/tokens', {
      headers: client.headers,
      body: { tokens: [{ sub: user.userId, aud: 'orders-api', ttl: 600 }] },
    })
    assert.equal(minted.status, 200, minted.text)
    const token = (minted.body.tokens as { access_token: string }[])[0]?.access_token as string
    assert.equal((await call(api.url, '/orders', { headers: bearer(token) })).status, 200)
    // Tokens issued in the same second as the not-before survive it (iat < not_before is the rule).
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const revokeAll = await call(t.url, '/v1/sessions', {
      method: 'DELETE',
      headers: bearer(user.accessToken),
    })
    assert.equal(revokeAll.status, 204)
    const refusal = await waitForRefusal(api.url, token, 3000)
    assert.equal(refusal.reason, 'revoked')
    assert.ok(refusal.elapsedMs < 1000, `not-before took ${refusal.elapsedMs} ms`)
  })

  test('a user disabled through the CLI (another process writing the database) is refused within a second', async () => {
    const user = await signUp(t.url)
    assert.equal((await call(api.url, '/orders', { headers: bearer(user.accessToken) })).status, 200)
    const started = Date.now()
    assert.equal((await runCli(['users', 'disable', '--id', user.userId], { dataDir: t.dataDir })).code, 0)
    const refusal = await waitForRefusal(api.url, user.accessToken, 3000)
    assert.ok(refusal.reason === 'session_revoked' || refusal.reason === 'revoked', String(refusal.reason))
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`)
  })

  test('a max_uses 3 token minted by the server passes the guard exactly 3 times out of 20 concurrent calls', async () => {
    const minted = await call(t.url, '/v1/tokens', {
      headers: client.headers,
      body: { tokens: [{ sub: 'job-42', aud: 'orders-api', max_uses: 3 }] },
    })
    assert.equal(minted.status, 200, minted.text)
    const token = (minted.body.tokens as { access_token: string }[])[0]?.access_token as string
    const results = await Promise.all(
      Array.from({ length: 20 }, () => call(api.url, '/orders', { headers: bearer(token) })),
    )
    assert.equal(results.filter((r) => r.status === 200).length, 3)
    assert.ok(results.filter((r) => r.status !== 200).every((r) => r.body.reason === 'uses_exhausted'))
  })

  test('jose.createRemoteJWKSet validates a Tessera access token against the JWKS', async () => {
    const user = await signUp(t.url)
    const jwks = createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`))
    const { payload, protectedHeader } = await jwtVerify(user.accessToken, jwks, {
      issuer: t.url,
      audience: 'orders-api',
      typ: 'at+jwt',
    })
    assert.equal(payload.sub, user.userId)
    assert.equal(protectedHeader.alg, 'EdDSA')
  })
})
