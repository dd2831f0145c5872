/**
 * The example APIs as a user would run them: Express and Fastify behind the guard, against a real auth
 * server; a token with `orders:read` gets the orders, no token or a token without the scope does not.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type ExampleApi, startExpressExample } from '../../examples/express-api.ts'
import { startFastifyExample } from '../../examples/fastify-api.ts'
import { createTestClient } from '../support/service-clients.ts'
import { bearer, signUp, startTestServer, type TestServer } from '../support/test-server.ts'

describe('examples: Express and Fastify APIs behind the guard', () => {
  let t: TestServer
  let apis: ExampleApi[]

  before(async () => {
    t = await startTestServer({
      realIssuer: true,
      env: {
        TESSERA_ACCESS_TOKEN_AUDIENCES: 'orders-api',
        TESSERA_ACCESS_TOKEN_DEFAULT_SCOPES: 'orders:read',
      },
    })
    const client = await createTestClient(t, 'revocations:read tokens:consume')
    const options = {
      issuer: t.url,
      webOrigin: 'http://127.0.0.1:1',
      client: { id: client.id, secret: client.secret },
    }
    apis = [await startExpressExample(options), await startFastifyExample(options)]
  })
  after(async () => {
    for (const api of apis ?? []) await api.close()
    await t?.close()
  })

  test('orders for a signed-in user, 401 with a reason otherwise, on both frameworks', async () => {
    const user = await signUp(t.url)
    for (const api of apis) {
      const ok = await fetch(`${api.url}/orders`, { headers: bearer(user.accessToken) })
      assert.equal(ok.status, 200, api.url)
      const body = (await ok.json()) as { orders: { for: string }[] }
      assert.equal(body.orders[0]?.for, user.userId)
      const anonymous = await fetch(`${api.url}/orders`)
      assert.equal(anonymous.status, 401)
      assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="tessera"')
    }
  })
})
