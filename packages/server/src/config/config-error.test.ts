import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { ConfigError, formatConfigIssue } from './config-error.ts'
import { loadConfig } from './load-config.ts'
import { maskUrlPassword } from './render-setting-value.ts'

const roots: string[] = []
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

function loadError(env: NodeJS.ProcessEnv, file?: unknown): ConfigError {
  const cwd = mkdtempSync(join(tmpdir(), 'tessera-config-error-'))
  roots.push(cwd)
  if (file !== undefined) writeFileSync(join(cwd, 'tessera.config.json'), JSON.stringify(file))
  try {
    loadConfig({ env, cwd })
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`)
    return error
  }
  assert.fail('expected loadConfig to throw')
}

describe('ConfigError messages', () => {
  test('name the path, the env name, the value, its source and the allowed range', () => {
    const error = loadError({ TESSERA_PORT: '70000' })
    assert.equal(error.code, 'invalid_config')
    assert.deepEqual(error.issues, [
      {
        setting: 'port',
        envName: 'TESSERA_PORT',
        source: 'TESSERA_PORT',
        value: '70000',
        problem: undefined,
        expected: 'an integer from 0 to 65535',
      },
    ])
    assert.equal(
      error.message,
      'Invalid configuration (1 problem):\n  - port (TESSERA_PORT): got 70000 from TESSERA_PORT; expected an integer from 0 to 65535',
    )
  })

  test('a value from the file names the file, and nested settings their canonical env name', () => {
    const error = loadError({}, { accessToken: { ttlSeconds: 30 } })
    const line = error.message.split('\n')[1] ?? ''
    assert.match(line, /accessToken\.ttlSeconds \(TESSERA_ACCESS_TOKEN_TTL_SECONDS\): got 30 from file \//)
    assert.match(line, /expected an integer from 60 to 86400$/)
  })

  test('list every problem at once', () => {
    const error = loadError({
      TESSERA_PORT: '-1',
      TESSERA_LOG_LEVEL: 'loud',
      TESSERA_ACCESS_TOKEN_ALGORITHM: 'RS256',
      TESSERA_TRUSTED_PROXIES: '10.0.0.0/33,proxy.local',
      TESSERA_HTTP_BODY_LIMIT_BYTES: '2000000',
    })
    assert.deepEqual(error.issues.map((issue) => issue.setting).sort(), [
      'accessToken.algorithm',
      'http.bodyLimitBytes',
      'log.level',
      'port',
      'trustedProxies[0]',
      'trustedProxies[1]',
    ])
    assert.match(error.message, /^Invalid configuration \(6 problems\):/)
    assert.match(
      error.message,
      /log\.level \(TESSERA_LOG_LEVEL\): got "loud" .*expected one of fatal, error, warn, info, debug, trace, silent/,
    )
    assert.match(error.message, /accessToken\.algorithm .*expected one of EdDSA, ES256/)
    assert.match(
      error.message,
      /trustedProxies\[0\] .*got "10\.0\.0\.0\/33" .*prefix length is not an integer from 0 to 32/,
    )
    assert.match(error.message, /http\.bodyLimitBytes .*expected an integer from 1024 to 1048576/)
  })

  test('a wrong type in the file says what type is expected', () => {
    const error = loadError({}, { port: '8080', log: 'debug', allowedOrigins: 'https://a.example' })
    const bySetting = new Map(error.issues.map((issue) => [issue.setting, issue]))
    assert.equal(bySetting.get('port')?.value, '"8080"')
    assert.equal(bySetting.get('log')?.expected, 'an object with the keys level')
    assert.match(
      bySetting.get('allowedOrigins')?.expected ?? '',
      /^a list of up to 100 distinct items, each a web origin/,
    )
  })

  test('a missing field of a list entry is reported as missing', () => {
    const error = loadError(
      {},
      { oidc: { providers: [{ id: 'acme', name: 'Acme', issuer: 'https://id.acme.test' }] } },
    )
    assert.equal(error.issues[0]?.setting, 'oidc.providers[0].clientId')
    assert.equal(error.issues[0]?.problem, 'it is missing')
  })
})

describe('ConfigError never shows a secret', () => {
  const secret = 'hunter2-is-not-a-32-byte-secret'

  test('TESSERA_SECRET shorter than 32 bytes is reported as [redacted]', () => {
    const error = loadError({ TESSERA_SECRET: secret })
    assert.equal(error.issues[0]?.setting, 'secret')
    assert.equal(error.issues[0]?.value, '[redacted]')
    assert.ok(!error.message.includes(secret))
  })

  test('a secret of the wrong type in the file is reported as [redacted]', () => {
    const error = loadError({}, { secret: ['hunter2'] })
    assert.ok(!error.message.includes('hunter2'))
  })

  test('database and Redis passwords are masked', () => {
    const error = loadError({
      TESSERA_DATABASE_URL: 'mysql://app:hunter2@db/tessera',
      TESSERA_REDIS_URL: 'http://:hunter2@cache:6379',
    })
    assert.equal(error.issues.length, 2)
    assert.match(error.message, /databaseUrl .*got "mysql:\/\/app:\*\*\*@db\/tessera"/)
    assert.ok(!error.message.includes('hunter2'))
  })

  test('a value without a scheme in a URL setting is not shown at all', () => {
    const error = loadError({ TESSERA_DATABASE_URL: 'hunter2' })
    assert.equal(error.issues[0]?.value, '[redacted]')
  })

  test('an unknown variable and a misspelt file key never show their value', () => {
    const error = loadError(
      { TESSERA_SECRETT: 'hunter2-in-env-'.repeat(3) },
      { sekret: 'hunter2-in-file-'.repeat(3) },
    )
    assert.equal(error.issues.length, 2)
    assert.ok(!error.message.includes('hunter2'))
  })

  test('OIDC client secrets stay hidden, also in JSON that does not parse', () => {
    const provider = {
      id: 'Bad Id',
      name: 'Acme',
      issuer: 'https://id.acme.test',
      clientId: 'c',
      clientSecret: 1,
    }
    const fromFile = loadError({}, { oidc: { providers: [{ ...provider, clientSecret: 7_777_777 }] } })
    assert.ok(fromFile.issues.some((issue) => issue.setting === 'oidc.providers[0].clientSecret'))
    assert.ok(!fromFile.message.includes('7777777'))
    const fromEnv = loadError({ TESSERA_OIDC_PROVIDERS: `[{"clientSecret": "hunter2-oidc"` })
    assert.equal(fromEnv.issues[0]?.problem, 'it is not valid JSON')
    assert.ok(!fromEnv.message.includes('hunter2'))
  })
})

describe('maskUrlPassword', () => {
  test('masks the password in well-formed and malformed URLs', () => {
    assert.equal(maskUrlPassword('postgres://app:s3cret@db:5432/x'), 'postgres://app:***@db:5432/x')
    assert.equal(maskUrlPassword('redis://:s3cret@cache'), 'redis://:***@cache')
    assert.equal(maskUrlPassword('redis://s3cret@cache'), 'redis://***@cache')
    assert.equal(maskUrlPassword('postgres://app:p@ss/w@rd@db/x'), 'postgres://app:***@db/x')
    assert.equal(
      maskUrlPassword('postgres://db/x?user=app&password=s3cret&ssl=1'),
      'postgres://db/x?user=app&password=***&ssl=1',
    )
    assert.equal(maskUrlPassword('postgres://db/x'), 'postgres://db/x')
  })
})

describe('formatConfigIssue', () => {
  test('renders an issue without a value or source', () => {
    assert.equal(
      formatConfigIssue({ setting: 'secret', expected: 'more bytes' }),
      'secret: rejected; expected more bytes',
    )
  })
})
