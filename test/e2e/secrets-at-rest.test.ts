import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { exportPkcs8 } from '@tessera/core'
import { call, PASSWORD, startTestServer, TEST_ORIGIN, uniqueEmail } from '../support/test-server.ts'

/** Every file the store wrote (database, WAL, shared memory), but not the secret file itself. */
function storeFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name !== 'secret')
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
}

test('after real traffic the SQLite files hold no refresh token, password or private key in plaintext', async () => {
  const t = await startTestServer()
  const secrets: { label: string; bytes: Buffer }[] = []
  const remember = (label: string, value: string | Buffer): void => {
    secrets.push({ label, bytes: typeof value === 'string' ? Buffer.from(value, 'utf8') : value })
  }
  try {
    const passwords = ['correct horse battery staple', 'Tr0ub4dor&3 but longer', 'pässwörd mit ümläuten']
    for (const password of passwords) {
      remember('password', password)
      const email = uniqueEmail('rest')
      const signup = await call(t.url, '/v1/signup', { body: { email, password } })
      remember('refresh token', signup.body.refresh_token as string)
      const refreshed = await call(t.url, '/v1/refresh', {
        body: { refresh_token: signup.body.refresh_token },
      })
      remember('refresh token', refreshed.body.refresh_token as string)
      const login = await call(t.url, '/v1/login', {
        body: { email, password },
        headers: { origin: TEST_ORIGIN },
      })
      const cookie = login.headers.getSetCookie().find((c) => c.startsWith('__Secure-tessera-rt='))
      remember('cookie refresh token', (cookie ?? '').split(';')[0]?.split('=')[1] ?? '')
    }
    const changed = await call(t.url, '/v1/login', { body: { email: uniqueEmail(), password: PASSWORD } })
    assert.equal(changed.status, 401)
    await t.server.services.ring.rotate({ force: true })
    const key = t.server.services.ring.signingKey
    const der = exportPkcs8(key)
    remember('private key (PKCS#8 DER)', der)
    // The last 32 bytes of an Ed25519 PKCS#8 document are the raw private seed.
    remember('private key (raw seed)', der.subarray(der.length - 32))
    const jwk = key.key.export({ format: 'jwk' }) as { d?: string }
    remember('private key (JWK d)', jwk.d ?? 'missing')
    remember('server secret', readFileSync(join(t.dataDir, 'secret'), 'utf8').trim())
  } finally {
    await t.close({ keepData: true })
  }
  const files = storeFiles(t.dataDir)
  assert.ok(files.some((f) => f.endsWith('tessera.db')))
  for (const file of files) {
    const content = readFileSync(file)
    for (const secret of secrets) {
      assert.ok(secret.bytes.length >= 16, `${secret.label} is long enough to search for`)
      assert.equal(content.indexOf(secret.bytes), -1, `${file} contains a ${secret.label} in plaintext`)
      assert.equal(
        content.indexOf(Buffer.from(secret.bytes.toString('hex'))),
        -1,
        `${file} contains a hex-encoded ${secret.label}`,
      )
    }
  }
})
