/**
 * Providers are discovered at startup: one whose discovery document contradicts the configuration stops
 * startup with the provider named; one that does not answer does not, and its logins answer a 503 page
 * until it does.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import { startTestServer } from '../support/test-server.ts'

function providersEnv(issuer: string): Record<string, string> {
  return {
    TESSERA_OIDC_PROVIDERS: JSON.stringify([{ id: 'corp', name: 'Corp', issuer, clientId: 'tessera' }]),
  }
}

describe('OIDC providers at startup', () => {
  test('a discovery document naming another issuer stops startup, naming the provider', async () => {
    const liar = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json')
      response.end(
        JSON.stringify({
          issuer: 'https://accounts.example.com',
          authorization_endpoint: 'https://accounts.example.com/auth',
          token_endpoint: 'https://accounts.example.com/token',
          jwks_uri: 'https://accounts.example.com/jwks',
          response_types_supported: ['code'],
          id_token_signing_alg_values_supported: ['RS256'],
        }),
      )
    })
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve))
    const issuer = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`
    try {
      await assert.rejects(startTestServer({ env: providersEnv(issuer) }), /oidc\.providers "corp"/)
    } finally {
      liar.close()
    }
  })

  test('a provider that does not answer lets the server start; its login is a 503 page, not a crash', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const issuer = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`
    await new Promise((resolve) => probe.close(resolve))
    const t = await startTestServer({ env: providersEnv(issuer) })
    try {
      const start = await fetch(`${t.url}/v1/oidc/corp/start`, { redirect: 'manual' })
      assert.equal(start.status, 503)
      assert.ok(Number(start.headers.get('retry-after')) > 0)
      assert.equal(start.headers.get('content-type'), 'text/html; charset=utf-8')
      assert.equal(start.headers.get('tessera-detail'), 'provider_unreachable')
      assert.match(await start.text(), /could not be reached/)
      const ready = await fetch(`${t.url}/readyz`)
      assert.equal(ready.status, 200, 'an identity provider is not a readiness dependency')
    } finally {
      await t.close()
    }
  })
})
