import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { createRedisConnection, eventStreamKeys } from '@tessera/redis'
import { openRedisTestScope } from '../../packages/redis/src/redis-test-scope.ts'
import { type CliRun, runCli } from '../support/run-cli.ts'
import { requireRedis } from '../support/services.ts'

describe('tessera CLI', () => {
  let dataDir: string
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-cli-'))
  })
  after(() => {
    rmSync(dataDir, { recursive: true, force: true })
  })

  function run(
    argv: string[],
    options: { stdin?: string; env?: Record<string, string> } = {},
  ): Promise<CliRun> {
    return runCli(argv, { dataDir, ...options })
  }

  test('users create reads the password from stdin and prints {id, email} with --json', async () => {
    const created = await run(
      ['users', 'create', '--email', 'Admin@Example.test', '--password-stdin', '--json'],
      {
        stdin: 'a long enough password\n',
      },
    )
    assert.equal(created.code, 0, created.stderr)
    const body = JSON.parse(created.stdout) as { id: string; email: string }
    assert.match(body.id, /^usr_/)
    assert.equal(body.email, 'admin@example.test')
    assert.doesNotMatch(created.stdout + created.stderr, /a long enough password/)

    const duplicate = await run(
      ['users', 'create', '--email', 'admin@example.test', '--password-stdin', '--json'],
      {
        stdin: 'another password here',
      },
    )
    assert.equal(duplicate.code, 1)
    assert.equal((JSON.parse(duplicate.stdout) as { field: string }).field, 'email')

    const list = await run(['users', 'list', '--json'])
    assert.equal(list.code, 0)
    const users = (JSON.parse(list.stdout) as { users: { id: string }[] }).users
    assert.deepEqual(
      users.map((u) => u.id),
      [body.id],
    )
  })

  test('users create without --password-stdin is a usage error (exit 2): passwords never go in argv', async () => {
    const result = await run(['users', 'create', '--email', 'x@example.test', '--password', 'secret'])
    assert.equal(result.code, 2)
  })

  test('keys list and keys rotate', async () => {
    const before = await run(['keys', 'list', '--json'])
    assert.equal(before.code, 0, before.stderr)
    const keys = (JSON.parse(before.stdout) as { keys: { kid: string; state: string }[] }).keys
    assert.deepEqual(keys.map((k) => k.state).sort(), ['current', 'next'])
    const next = keys.find((k) => k.state === 'next')?.kid

    // The next key was published a moment ago: guards caching the JWKS may not have it yet.
    const refused = await run(['keys', 'rotate', '--json'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /JWKS cache time.*--force/)
    const rotated = await run(['keys', 'rotate', '--force', '--json'])
    assert.equal(rotated.code, 0, rotated.stderr)
    const result = JSON.parse(rotated.stdout) as { kid: string; state: string; next: string }
    assert.equal(result.kid, next, 'the published next key became current')
    assert.equal(result.state, 'current')

    const after = await run(['keys', 'list', '--json'])
    const states = (JSON.parse(after.stdout) as { keys: { state: string }[] }).keys.map((k) => k.state).sort()
    assert.deepEqual(states, ['current', 'next', 'retired'])
  })

  test('config check: valid config exits 0; a bad setting exits 1 naming the setting, value and range', async () => {
    const ok = await run(['config', 'check', '--json'], { env: { TESSERA_SECRET: 'x'.repeat(40) } })
    assert.equal(ok.code, 0, ok.stderr)
    assert.doesNotMatch(ok.stdout, /xxxxxxxxxx/, 'the secret is masked')
    const bad = await run(['config', 'check'], { env: { TESSERA_PORT: '70000' } })
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /TESSERA_PORT/)
    assert.match(bad.stderr, /70000/)
    assert.match(bad.stderr, /65535/)
    const file = join(dataDir, 'bad.json')
    writeFileSync(file, JSON.stringify({ port: 8080, surprise: true }))
    const unknown = await run(['--config', file, 'config', 'check'])
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /surprise/)
  })

  test('keys rotate with TESSERA_REDIS_URL announces the change on the Redis event stream', async (t) => {
    const redisUrl = await requireRedis()
    if (redisUrl === undefined) return t.skip('Redis not reachable')
    const redis = createRedisConnection(redisUrl, { name: 'cli-test' })
    const scope = openRedisTestScope(redis)
    try {
      const env = { TESSERA_REDIS_URL: redisUrl, TESSERA_REDIS_KEY_PREFIX: scope.keyPrefix }
      const result = await run(['keys', 'rotate', '--force', '--json'], { env })
      assert.equal(result.code, 0, result.stderr)
      const entries = await redis.xrange(eventStreamKeys(scope.keyPrefix).stream, '-', '+')
      const types = entries.map(([, fields]) => fields[1])
      assert.ok(types.includes('keys_changed'), `stream holds ${types.join(', ')}`)
    } finally {
      await scope.dropKeys()
      redis.disconnect()
    }
  })

  test('migrate reports the schema up to date', async () => {
    const result = await run(['migrate', '--json'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal((JSON.parse(result.stdout) as { status: string }).status, 'up to date')
  })

  test('unknown commands and flags exit 2; --help exits 0', async () => {
    assert.equal((await run(['frobnicate'])).code, 2)
    assert.equal((await run(['keys', 'list', '--bogus'])).code, 2)
    assert.equal((await run([])).code, 2)
    const help = await run(['--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /Usage: tessera/)
    assert.equal((await run(['users', '--help'])).code, 0)
  })

  test('the bin script runs as a real process (npx tessera)', () => {
    const result = spawnSync(
      process.execPath,
      [new URL('../../bin/tessera.mjs', import.meta.url).pathname, '--help'],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    )
    assert.equal(result.status, 0, result.stderr)
    assert.match(result.stdout, /keys/)
  })
})
