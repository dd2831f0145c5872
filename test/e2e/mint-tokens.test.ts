import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { checkAccessToken } from '@tessera/core'
import { createTestClient, decodeClaims, type TestClient } from '../support/service-clients.ts'
import { call, signUp, startTestServer, type TestServer } from '../support/test-server.ts'

describe('POST /v1/tokens (batch minting) over real HTTP', () => {
  let t: TestServer
  let minter: TestClient
  let userMinter: TestClient

  before(async () => {
    t = await startTestServer({ env: { TESSERA_MINT_MAX_TTL_SECONDS: '600' } })
    minter = await createTestClient(t, 'tokens:mint files:read files:write')
    userMinter = await createTestClient(t, 'tokens:mint tokens:mint_users files:read')
  })
  after(async () => {
    await t.close()
  })

  async function mint(body: unknown, client = minter): Promise<Awaited<ReturnType<typeof call>>> {
    return await call(t.url, '/v1/tokens', { body, headers: client.headers })
  }

  test('mints every entry with the requested claims; client_id is the minting client', async () => {
    const response = await mint({
      tokens: [
        {
          sub: 'download-42',
          aud: 'files-api',
          scope: 'files:read',
          ttl: 60,
          max_uses: 3,
          path: '/files/42',
        },
        { sub: 'report-7', aud: ['files-api', 'reports-api'] },
      ],
    })
    assert.equal(response.status, 200, response.text)
    assert.equal(response.headers.get('cache-control'), 'no-store')
    const tokens = response.body.tokens as { access_token: string; expires_in: number }[]
    assert.equal(tokens.length, 2)
    const [first, second] = tokens.map((entry) => decodeClaims(entry.access_token))
    assert.equal(tokens[0]?.expires_in, 60)
    assert.deepEqual(
      [first?.sub, first?.aud, first?.scope, first?.max_uses, first?.path, first?.client_id, first?.sid],
      ['download-42', 'files-api', 'files:read', 3, '/files/42', minter.id, undefined],
    )
    assert.equal((first?.exp as number) - (first?.iat as number), 60)
    assert.deepEqual(second?.aud, ['files-api', 'reports-api'])
    assert.equal(second?.scope, undefined, 'no scope unless asked for')
    assert.equal(
      tokens[1]?.expires_in,
      600,
      'default lifetime: the access-token TTL capped by mint.maxTtlSeconds',
    )
    // A resource server with the JWKS accepts them through core's strict verification.
    const ring = t.server.services.ring
    const check = checkAccessToken(tokens[0]?.access_token ?? '', {
      keys: (header) => ring.resolve(header.kid),
      issuer: 'http://localhost:8080',
      audience: 'files-api',
      maxLifetimeSeconds: 900,
      clock: t.clock,
    })
    assert.equal(check.ok, true)
  })

  test('a batch of 100 passes; 101 is refused whole', async () => {
    const entry = { sub: 'bulk', aud: 'files-api', ttl: 30 }
    const hundred = await mint({ tokens: Array.from({ length: 100 }, () => entry) })
    assert.equal(hundred.status, 200)
    assert.equal((hundred.body.tokens as unknown[]).length, 100)
    const tooMany = await mint({ tokens: Array.from({ length: 101 }, () => entry) })
    assert.equal(tooMany.status, 400)
    assert.equal(tooMany.body.reason, 'invalid_request')
    assert.equal(tooMany.body.field, 'tokens')
    assert.equal(tooMany.body.tokens, undefined, 'nothing minted')
  })

  test('one invalid entry fails the whole batch and is named by its index', async () => {
    const valid = { sub: 'ok', aud: 'files-api' }
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, ttl: 601 }, 'tokens[3].ttl'],
      [{ ...valid, ttl: 0 }, 'tokens[3].ttl'],
      [{ ...valid, ttl: 1.5 }, 'tokens[3].ttl'],
      [{ ...valid, max_uses: 0 }, 'tokens[3].max_uses'],
      [{ ...valid, path: 'files/1' }, 'tokens[3].path'],
      [{ ...valid, path: '/files?id=1' }, 'tokens[3].path'],
      [{ ...valid, scope: 'files:delete' }, 'tokens[3].scope'],
      [{ ...valid, scope: 'tokens:mint' }, 'tokens[3].scope'],
      [{ ...valid, sub: '' }, 'tokens[3].sub'],
      [{ ...valid, sub: 'x'.repeat(256) }, 'tokens[3].sub'],
      [{ ...valid, sub: 'line\nbreak' }, 'tokens[3].sub'],
      [{ ...valid, sub: 'usr_AAAAAAAAAAAAAAAAAAAAAA' }, 'tokens[3].sub'],
      [{ ...valid, sub: 'cli_AAAAAAAAAAAAAAAAAAAAAA' }, 'tokens[3].sub'],
      [{ ...valid, aud: 'http://localhost:8080' }, 'tokens[3].aud'],
      [{ ...valid, aud: ['files-api', ''] }, 'tokens[3].aud[1]'],
      [{ sub: 'ok' }, 'tokens[3].aud'],
      [{ ...valid, extra: true }, 'tokens[3].extra'],
    ]
    for (const [entry, field] of cases) {
      const response = await mint({ tokens: [valid, valid, valid, entry, valid] })
      assert.equal(response.status, 400, `${field}: ${response.text}`)
      assert.equal(response.body.error, 'invalid_request')
      assert.equal(response.body.reason, 'invalid_request')
      assert.equal(response.body.field, field)
      assert.equal(response.body.tokens, undefined)
    }
    const extraTopLevel = await mint({ tokens: [valid], more: 1 })
    assert.equal(extraTopLevel.body.field, 'more')
  })

  test('a cli_ subject may only be the minting client itself', async () => {
    const response = await mint({ tokens: [{ sub: minter.id, aud: 'files-api' }] })
    assert.equal(response.status, 200)
  })

  test('usr_ subjects need tokens:mint_users and an existing, enabled user', async () => {
    const user = await signUp(t.url)
    const refused = await mint({ tokens: [{ sub: user.userId, aud: 'files-api' }] })
    assert.equal(refused.body.field, 'tokens[0].sub')
    const allowed = await mint(
      { tokens: [{ sub: user.userId, aud: 'files-api', scope: 'files:read' }] },
      userMinter,
    )
    assert.equal(allowed.status, 200, allowed.text)
    const unknown = await mint(
      {
        tokens: [
          { sub: user.userId, aud: 'files-api' },
          { sub: 'usr_AAAAAAAAAAAAAAAAAAAAAA', aud: 'files-api' },
        ],
      },
      userMinter,
    )
    assert.equal(unknown.status, 400)
    assert.equal(unknown.body.field, 'tokens[1].sub')
  })

  test('needs HTTP Basic client authentication and the tokens:mint scope', async () => {
    const body = { tokens: [{ sub: 'x', aud: 'files-api' }] }
    const anonymous = await call(t.url, '/v1/tokens', { body })
    assert.equal(anonymous.status, 401)
    assert.equal(anonymous.body.error, 'invalid_client')
    assert.equal(anonymous.headers.get('www-authenticate'), 'Basic realm="tessera"')
    const other = await createTestClient(t, 'files:read')
    const unentitled = await mint(body, other)
    assert.equal(unentitled.status, 403)
    assert.equal(unentitled.body.reason, 'insufficient_scope')
    const notJson = await call(t.url, '/v1/tokens', {
      rawBody: 'tokens=1',
      headers: { ...minter.headers, 'content-type': 'application/x-www-form-urlencoded' },
    })
    assert.equal(notJson.status, 415)
  })
})
