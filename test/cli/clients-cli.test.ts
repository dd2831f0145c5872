import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../../packages/server/src/config/load-config.ts'
import { createLogger } from '../../packages/server/src/logging/create-logger.ts'
import { createServices } from '../../packages/server/src/services.ts'
import { type CliRun, runCli } from '../support/run-cli.ts'

describe('tessera clients and tessera token inspect', () => {
  let dataDir: string
  const env = (): Record<string, string> => ({ TESSERA_DATA_DIR: dataDir, TESSERA_LOG_LEVEL: 'silent' })

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-cli-clients-'))
  })
  after(() => {
    rmSync(dataDir, { recursive: true, force: true })
  })

  function run(argv: string[], stdin = ''): Promise<CliRun> {
    return runCli(argv, { dataDir, stdin })
  }

  /** Issues tokens with the same data dir's key ring, as a running server would. */
  async function withServices<T>(
    work: (services: Awaited<ReturnType<typeof createServices>>) => Promise<T>,
  ): Promise<T> {
    const config = loadConfig({ env: env(), cwd: dataDir })
    const services = await createServices(config, { logger: createLogger({ level: 'silent' }) })
    try {
      return await work(services)
    } finally {
      await services.close()
    }
  }

  test('clients create prints the id and the secret once; list never shows the secret', async () => {
    const created = await run([
      'clients',
      'create',
      '--name',
      'orders-api',
      '--scopes',
      'revocations:read tokens:consume',
      '--json',
    ])
    assert.equal(created.code, 0, created.stderr)
    const body = JSON.parse(created.stdout) as { client_id: string; client_secret: string; scopes: string[] }
    assert.match(body.client_id, /^cli_[A-Za-z0-9_-]{22}$/)
    assert.match(body.client_secret, /^tss_[A-Za-z0-9_-]{43}$/)
    assert.deepEqual(body.scopes, ['revocations:read', 'tokens:consume'])

    const listed = await run(['clients', 'list', '--json'])
    assert.equal(listed.code, 0, listed.stderr)
    assert.equal(listed.stdout.includes(body.client_secret), false)
    const clients = (JSON.parse(listed.stdout) as { clients: { client_id: string; name: string }[] }).clients
    assert.deepEqual(
      clients.map((c) => [c.client_id, c.name]),
      [[body.client_id, 'orders-api']],
    )
    const human = await run(['clients', 'list'])
    assert.match(
      human.stdout,
      new RegExp(`${body.client_id}  orders-api  \\[revocations:read tokens:consume\\]`),
    )
  })

  test('clients create refuses bad scopes (exit 1) and a missing --name (exit 2)', async () => {
    const bad = await run(['clients', 'create', '--name', 'x', '--scopes', 'a  b', '--json'])
    assert.equal(bad.code, 1)
    assert.equal((JSON.parse(bad.stdout) as { field: string }).field, 'scopes')
    assert.equal((await run(['clients', 'create'])).code, 2)
    assert.equal((await run(['clients', 'remove'])).code, 2)
  })

  test('token inspect verifies against the local key ring and never prints the token', async () => {
    const token = await withServices(async (services) => {
      const client = await services.store.clients.list({ limit: 1 })
      const [first] = client
      assert.ok(first)
      return services.serviceTokens.issueClientToken(first, ['orders:read']).accessToken
    })
    const inspected = await run(['token', 'inspect', token, '--json'])
    assert.equal(inspected.code, 0, inspected.stderr)
    assert.equal(inspected.stdout.includes(token), false)
    assert.equal(inspected.stdout.includes(token.split('.')[2] ?? '-'), false, 'not even the signature')
    const result = JSON.parse(inspected.stdout) as {
      header: { typ: string; alg: string }
      claims: { scope: string; sub: string }
      verification: { valid: boolean; reason: string | null }
      state: { active: boolean }
    }
    assert.deepEqual([result.header.typ, result.header.alg], ['at+jwt', 'EdDSA'])
    assert.equal(result.claims.scope, 'orders:read')
    assert.deepEqual(result.verification, { valid: true, reason: null })
    assert.equal(result.state.active, true)

    const fromStdin = await run(['token', 'inspect', '-'], `${token}\n`)
    assert.equal(fromStdin.code, 0)
    assert.match(fromStdin.stdout, /verification: valid/)
    assert.equal(fromStdin.stdout.includes(token), false)

    const [header, payload, signature] = token.split('.')
    const tampered = `${header}.${payload}.${signature?.startsWith('A') ? 'B' : 'A'}${signature?.slice(1)}`
    const bad = await run(['token', 'inspect', tampered, '--json'])
    assert.equal(bad.code, 1)
    assert.equal(
      (JSON.parse(bad.stdout) as { verification: { reason: string } }).verification.reason,
      'bad_signature',
    )
    assert.equal(bad.stdout.includes(tampered), false)

    const garbage = await run(['token', 'inspect', 'not-a-jwt', '--json'])
    assert.equal(garbage.code, 1)
    assert.deepEqual((JSON.parse(garbage.stdout) as { verification: unknown }).verification, {
      valid: false,
      reason: 'malformed',
    })
    assert.equal((await run(['token', 'inspect'])).code, 2)
  })
})
