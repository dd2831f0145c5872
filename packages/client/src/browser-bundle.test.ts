import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { PASSWORD, startTestServer, type TestServer, uniqueEmail } from '../../../test/support/test-server.ts'
import { buildClientBundle } from '../build.mjs'
import { createFakeDpopServers, FAKE_API, FAKE_ISSUER } from './testing/fake-dpop-servers.ts'

let server: TestServer
let outDir: string
before(async () => {
  server = await startTestServer({ realIssuer: true })
  outDir = mkdtempSync(join(tmpdir(), 'tessera-client-bundle-'))
})
after(async () => {
  await server.close()
  rmSync(outDir, { recursive: true, force: true })
})

test('the browser bundle is one self-contained ES module that works end to end', async () => {
  // Built into a temp dir: the test must not depend on, or overwrite, a dist/ someone is serving.
  const outfile = await buildClientBundle({ outfile: join(outDir, 'tessera-client.js') })
  const source = readFileSync(outfile, 'utf8')
  assert.doesNotMatch(source, /^\s*import\s/m, 'a browser cannot resolve bare or .ts imports')
  assert.doesNotMatch(source, /\brequire\(|node:/, 'nothing Node-only may reach the bundle')
  assert.doesNotMatch(source, /localStorage|sessionStorage|document\.cookie/, 'memory only')

  const bundle = (await import(pathToFileURL(outfile).href)) as typeof import('./index.ts')
  const client = bundle.createClient({ issuer: server.url, mode: 'token' })
  const email = uniqueEmail('bundle')
  await client.signUp({ email, password: PASSWORD })
  const me = await client.fetch(`${server.url}/v1/me`)
  assert.equal(me.status, 200)
  assert.equal(((await me.json()) as { user: { email: string } }).user.email, email)
  await client.signOut()
  assert.equal(client.accessToken, undefined)
  client.close()
})

test('the bundle proves possession in DPoP mode with WebCrypto alone (no Buffer, no node:crypto)', async () => {
  const outfile = await buildClientBundle({ outfile: join(outDir, 'tessera-client-dpop.js') })
  assert.doesNotMatch(readFileSync(outfile, 'utf8'), /\bBuffer\b/, 'browsers have no Buffer')
  const bundle = (await import(pathToFileURL(outfile).href)) as typeof import('./index.ts')
  const servers = createFakeDpopServers()
  const client = bundle.createClient({ issuer: FAKE_ISSUER, mode: 'token', dpop: true, fetch: servers.fetch })
  await client.signIn({ email: uniqueEmail('bundle-dpop'), password: PASSWORD })
  assert.equal((await client.fetch(`${FAKE_API}/orders`)).status, 200)
  assert.deepEqual(
    servers.seen.map((seen) => [seen.path, seen.verdict?.ok]),
    [
      ['/v1/login', true],
      ['/orders', true],
    ],
  )
  client.close()
})
