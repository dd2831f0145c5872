import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { basicAuth, createTestClient, postForm, wrongSecret } from '../support/service-clients.ts'
import { call, signUp, startTestServer } from '../support/test-server.ts'

test('no client secret or token reaches the log from the client endpoints, failures included', async () => {
  let log = ''
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log += chunk.toString()
      done()
    },
  })
  const t = await startTestServer({ logStream })
  const secrets: string[] = []
  try {
    const client = await createTestClient(t, 'orders:read tokens:introspect sessions:revoke tokens:mint')
    secrets.push(client.secret, wrongSecret(client.secret))
    const issued = await postForm(t.url, '/oauth/token', { grant_type: 'client_credentials' }, client.headers)
    const access = issued.body.access_token as string
    secrets.push(access, access.split('.')[2] as string)
    await postForm(t.url, '/oauth/token', {
      grant_type: 'client_credentials',
      client_id: client.id,
      client_secret: wrongSecret(client.secret),
    })
    await postForm(
      t.url,
      '/oauth/token',
      { grant_type: 'client_credentials' },
      { authorization: basicAuth(client.id, wrongSecret(client.secret)) },
    )
    await postForm(t.url, '/oauth/introspect', { token: access }, client.headers)
    const user = await signUp(t.url)
    secrets.push(user.refreshToken, user.accessToken)
    await postForm(t.url, '/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: `${user.refreshToken}x`,
    })
    await postForm(
      t.url,
      '/oauth/revoke',
      `token=${user.refreshToken}&token=${user.refreshToken}`,
      client.headers,
    )
    await postForm(t.url, '/oauth/revoke', { token: user.refreshToken }, client.headers)
    const minted = await call(t.url, '/v1/tokens', {
      body: { tokens: [{ sub: 'x', aud: 'files-api' }] },
      headers: client.headers,
    })
    const mintedToken = (minted.body.tokens as { access_token: string }[])[0]?.access_token as string
    secrets.push(mintedToken)
  } finally {
    await t.close()
  }
  assert.ok(log.includes('"path":"/oauth/token"'), 'requests were logged')
  for (const secret of secrets) {
    assert.ok(secret.length >= 8)
    assert.equal(log.includes(secret), false, `the log contains a secret (${secret.slice(0, 4)}…)`)
  }
})
