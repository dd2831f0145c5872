import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { ConfigError } from './config-error.ts'
import { configDefaults } from './defaults.ts'
import { type LoadConfigOptions, loadConfig } from './load-config.ts'
import type { Config } from './schema.ts'
import { settingLeaves } from './setting-catalog.ts'
import { getSetting } from './settings-tree.ts'

const roots: string[] = []
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-config-'))
  roots.push(dir)
  return dir
}

function load(
  options: { env?: NodeJS.ProcessEnv; file?: unknown; argv?: LoadConfigOptions['argv'] } = {},
): Config {
  const cwd = freshDir()
  if (options.file !== undefined)
    writeFileSync(join(cwd, 'tessera.config.json'), JSON.stringify(options.file))
  return loadConfig({
    env: options.env ?? {},
    cwd,
    ...(options.argv === undefined ? {} : { argv: options.argv }),
  })
}

function loadError(options: Parameters<typeof load>[0]): ConfigError {
  try {
    load(options)
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`)
    return error
  }
  assert.fail('expected loadConfig to throw')
}

describe('loadConfig defaults', () => {
  test('every setting with a fixed default gets it, and the result is deep-frozen', () => {
    const config = load()
    for (const leaf of settingLeaves) {
      const expected = getSetting(configDefaults, leaf.path.split('.'))
      if (expected === undefined || leaf.path === 'dataDir') continue
      assert.deepEqual(getSetting(config, leaf.path.split('.')), expected, leaf.path)
    }
    assert.equal(config.host, '127.0.0.1')
    assert.equal(config.port, 8080)
    assert.equal(config.accessToken.ttlSeconds, 900)
    assert.equal(config.refreshToken.graceSeconds, 10)
    assert.equal(config.databaseUrl, undefined)
    assert.equal(config.secret, undefined)
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.throttle.loginPerIp))
    assert.ok(Object.isFrozen(config.allowedOrigins))
    assert.throws(() => Object.assign(config.accessToken, { ttlSeconds: 1 }), TypeError)
  })

  test('the issuer defaults to http://localhost:<port>, following the port', () => {
    assert.equal(load().issuer, 'http://localhost:8080')
    assert.equal(load({ env: { TESSERA_PORT: '9000' } }).issuer, 'http://localhost:9000')
    assert.equal(
      load({ env: { TESSERA_PORT: '9000', TESSERA_ISSUER: 'https://id.example.com' } }).issuer,
      'https://id.example.com',
    )
  })

  test('dataDir is resolved against the working directory', () => {
    const cwd = freshDir()
    assert.equal(loadConfig({ env: {}, cwd }).dataDir, join(cwd, 'data'))
    assert.equal(
      loadConfig({ env: { TESSERA_DATA_DIR: '/var/lib/tessera' }, cwd }).dataDir,
      '/var/lib/tessera',
    )
  })
})

describe('loadConfig sources', () => {
  test('reads ./tessera.config.json when present; env wins over the file; the command line wins over env', () => {
    const file = {
      port: 7000,
      log: { level: 'debug' },
      accessToken: { ttlSeconds: 600, audiences: ['orders-api'] },
    }
    const fromFile = load({ file })
    assert.equal(fromFile.port, 7000)
    assert.equal(fromFile.log.level, 'debug')
    assert.deepEqual(fromFile.accessToken.audiences, ['orders-api'])
    assert.equal(
      fromFile.accessToken.leewaySeconds,
      5,
      'a partial object in the file keeps the other defaults',
    )
    const fromEnv = load({ file, env: { TESSERA_PORT: '7001', TESSERA_LOG_LEVEL: 'warn' } })
    assert.equal(fromEnv.port, 7001)
    assert.equal(fromEnv.log.level, 'warn')
    assert.equal(fromEnv.accessToken.ttlSeconds, 600)
    const fromCli = load({
      file,
      env: { TESSERA_PORT: '7001' },
      argv: { overrides: { port: '0', 'log.level': 'error' } },
    })
    assert.equal(fromCli.port, 0)
    assert.equal(fromCli.log.level, 'error')
  })

  test('--config wins over TESSERA_CONFIG, which wins over the default file', () => {
    const cwd = freshDir()
    writeFileSync(join(cwd, 'tessera.config.json'), JSON.stringify({ port: 1 }))
    writeFileSync(join(cwd, 'env.json'), JSON.stringify({ port: 2 }))
    writeFileSync(join(cwd, 'flag.json'), JSON.stringify({ port: 3 }))
    assert.equal(loadConfig({ env: {}, cwd }).port, 1)
    assert.equal(loadConfig({ env: { TESSERA_CONFIG: 'env.json' }, cwd }).port, 2)
    assert.equal(
      loadConfig({ env: { TESSERA_CONFIG: 'env.json' }, cwd, argv: { configFile: 'flag.json' } }).port,
      3,
    )
  })

  test('a named file that is missing, not JSON, not an object or over 1 MiB stops startup', () => {
    const cwd = freshDir()
    const secret = 'do-not-print-this-secret-value-0123456789'
    writeFileSync(join(cwd, 'broken.json'), `{\n  "secret": "${secret}",\n}`)
    writeFileSync(join(cwd, 'array.json'), '[1]')
    writeFileSync(join(cwd, 'huge.json'), `{"dataDir": "${'x'.repeat(1_048_576)}"}`)
    mkdirSync(join(cwd, 'dir.json'))
    const failures: Array<[string, RegExp]> = [
      ['missing.json', /does not exist/],
      ['broken.json', /not valid JSON \(line 3, column 1\)/],
      ['array.json', /top level is not a JSON object/],
      ['huge.json', /larger than 1 MiB/],
      ['dir.json', /not a regular file/],
    ]
    for (const [name, pattern] of failures) {
      assert.throws(
        () => loadConfig({ env: { TESSERA_CONFIG: name }, cwd }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError)
          assert.match(error.message, pattern)
          assert.ok(error.message.includes(join(cwd, name)), 'names the file')
          assert.ok(error.message.includes('TESSERA_CONFIG'), 'names what pointed at it')
          assert.ok(!error.message.includes(secret))
          return true
        },
      )
    }
  })

  test('an unknown key in the file is an error at any depth, with a suggestion and without its value', () => {
    const error = loadError({
      file: { prot: 1, accessToken: { ttlSecond: 60 }, sercet: 'the-value-of-a-misspelt-key' },
    })
    assert.deepEqual(error.issues.map((issue) => issue.setting).sort(), [
      'accessToken.ttlSecond',
      'prot',
      'sercet',
    ])
    assert.match(
      error.message,
      /prot: found in file .*tessera\.config\.json \(there is no such setting; did you mean port\?\)/,
    )
    assert.match(error.message, /accessToken\.ttlSecond: .*did you mean ttlSeconds\?/)
    assert.ok(!error.message.includes('the-value-of-a-misspelt-key'))
  })

  test('a __proto__ key in the file is an unknown key and pollutes nothing', () => {
    const cwd = freshDir()
    writeFileSync(
      join(cwd, 'tessera.config.json'),
      '{"__proto__": {"polluted": true}, "log": {"__proto__": {"x": 1}}}',
    )
    assert.throws(
      () => loadConfig({ env: {}, cwd }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError)
        assert.deepEqual(error.issues.map((issue) => issue.setting).sort(), ['__proto__', 'log.__proto__'])
        return true
      },
    )
    assert.equal(Reflect.get({}, 'polluted'), undefined)
  })
})

describe('loadConfig environment', () => {
  test('every SPEC §1 name and alias sets its setting', () => {
    const config = load({
      env: {
        TESSERA_HOST: '0.0.0.0',
        TESSERA_PORT: '8443',
        TESSERA_ISSUER: 'https://auth.example.com',
        TESSERA_DATA_DIR: '/srv/tessera',
        TESSERA_DATABASE_URL: 'postgres://tessera:pw@db:5432/tessera',
        TESSERA_REDIS_URL: 'rediss://cache:6380',
        TESSERA_SECRET: 's'.repeat(32),
        TESSERA_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173,',
        TESSERA_ACCESS_TOKEN_TTL: '600',
        TESSERA_REFRESH_GRACE_SECONDS: '30',
        TESSERA_LOG_LEVEL: 'debug',
      },
    })
    assert.equal(config.host, '0.0.0.0')
    assert.equal(config.port, 8443)
    assert.equal(config.issuer, 'https://auth.example.com')
    assert.equal(config.dataDir, '/srv/tessera')
    assert.equal(config.databaseUrl, 'postgres://tessera:pw@db:5432/tessera')
    assert.equal(config.redisUrl, 'rediss://cache:6380')
    assert.equal(config.secret, 's'.repeat(32))
    assert.deepEqual(config.allowedOrigins, ['https://app.example.com', 'http://localhost:5173'])
    assert.equal(config.accessToken.ttlSeconds, 600)
    assert.equal(config.refreshToken.graceSeconds, 30)
    assert.equal(config.log.level, 'debug')
  })

  test('canonical long names reach nested settings, booleans and JSON lists', () => {
    const config = load({
      env: {
        TESSERA_ACCESS_TOKEN_TTL_SECONDS: '120',
        TESSERA_REFRESH_TOKEN_GRACE_SECONDS: '0',
        TESSERA_THROTTLE_LOGIN_PER_ACCOUNT_LIMIT: '3',
        TESSERA_COOKIES_FINGERPRINT_BINDING: 'false',
        TESSERA_TRUSTED_PROXIES: '10.0.0.0/8,::1',
        TESSERA_OIDC_PROVIDERS: JSON.stringify([
          { id: 'google', name: 'Google', issuer: 'https://accounts.google.com', clientId: 'c' },
        ]),
      },
    })
    assert.equal(config.accessToken.ttlSeconds, 120)
    assert.equal(config.refreshToken.graceSeconds, 0)
    assert.equal(config.throttle.loginPerAccount.limit, 3)
    assert.equal(config.cookies.fingerprintBinding, false)
    assert.deepEqual(config.trustedProxies, ['10.0.0.0/8', '::1'])
    assert.deepEqual(config.oidc.providers[0]?.scopes, ['openid', 'email', 'profile'])
  })

  test('integers are parsed strictly', () => {
    for (const text of [
      '12abc',
      '1e3',
      '0x10',
      ' 600',
      '600 ',
      '600.0',
      '+600',
      '0600',
      '',
      '9007199254740993',
    ]) {
      const error = loadError({ env: { TESSERA_ACCESS_TOKEN_TTL_SECONDS: text } })
      assert.equal(error.issues.length, 1, JSON.stringify(text))
      assert.equal(error.issues[0]?.setting, 'accessToken.ttlSeconds')
      assert.equal(error.issues[0]?.problem, 'it is not a plain decimal integer')
    }
  })

  test('booleans are only true and false', () => {
    assert.equal(
      load({ env: { TESSERA_COOKIES_FINGERPRINT_BINDING: 'true' } }).cookies.fingerprintBinding,
      true,
    )
    for (const text of ['TRUE', '1', 'yes', 'on', '']) {
      const error = loadError({ env: { TESSERA_COOKIES_FINGERPRINT_BINDING: text } })
      assert.equal(error.issues[0]?.problem, 'it is neither true nor false')
    }
  })

  test('an empty value unsets an optional setting, also one set in the file', () => {
    const config = load({ file: { databaseUrl: 'postgres://db/tessera' }, env: { TESSERA_DATABASE_URL: '' } })
    assert.equal(config.databaseUrl, undefined)
  })

  test('an unknown TESSERA_ variable is an error with a suggestion; TESSERA_CONFIG and other prefixes are fine', () => {
    const error = loadError({
      env: {
        TESSERA_PROT: '1',
        TESSERA_ACESS_TOKEN_TTL: '60',
        TESSERA_ZZZ: 'x',
        PORT: 'x',
        TESSERA_CONFIG: '',
      },
    })
    assert.deepEqual(error.issues.map((issue) => issue.envName).sort(), [
      'TESSERA_ACESS_TOKEN_TTL',
      'TESSERA_PROT',
      'TESSERA_ZZZ',
    ])
    assert.match(error.message, /TESSERA_PROT: .*did you mean TESSERA_PORT\?/)
    assert.match(error.message, /TESSERA_ACESS_TOKEN_TTL: .*did you mean TESSERA_ACCESS_TOKEN_TTL\?/)
    assert.doesNotMatch(error.message, /TESSERA_ZZZ: .*did you mean/)
  })

  test('an alias and its canonical name must agree', () => {
    const same = load({ env: { TESSERA_ACCESS_TOKEN_TTL: '600', TESSERA_ACCESS_TOKEN_TTL_SECONDS: '600' } })
    assert.equal(same.accessToken.ttlSeconds, 600)
    const error = loadError({
      env: { TESSERA_ACCESS_TOKEN_TTL: '600', TESSERA_ACCESS_TOKEN_TTL_SECONDS: '700' },
    })
    assert.equal(error.issues[0]?.setting, 'accessToken.ttlSeconds')
    assert.match(error.issues[0]?.problem ?? '', /different values/)
  })

  test('an unknown command-line override is an error', () => {
    const error = loadError({ argv: { overrides: { 'log.levl': 'debug' } } })
    assert.match(
      error.message,
      /log\.levl: found in the command line \(there is no such setting; did you mean log\.level\?\)/,
    )
  })
})

describe('loadConfig rules across settings', () => {
  test('refreshToken.absoluteSeconds must not be shorter than idleSeconds', () => {
    const error = loadError({ env: { TESSERA_REFRESH_TOKEN_IDLE_SECONDS: '8000000' } })
    assert.equal(error.issues.length, 1)
    assert.equal(error.issues[0]?.setting, 'refreshToken.absoluteSeconds')
    assert.match(
      error.message,
      /got 7776000 from the default \(it is shorter than refreshToken\.idleSeconds, 8000000\)/,
    )
  })

  test('passwords.maxLength must not be shorter than minLength', () => {
    const error = loadError({ file: { passwords: { minLength: 64, maxLength: 32 } } })
    assert.equal(error.issues[0]?.setting, 'passwords.maxLength')
  })

  test('OIDC provider ids are unique', () => {
    const provider = { id: 'acme', name: 'Acme', issuer: 'https://id.acme.test', clientId: 'c' }
    const error = loadError({ file: { oidc: { providers: [provider, provider] } } })
    assert.equal(error.issues[0]?.setting, 'oidc.providers[1].id')
  })
})

describe('TESSERA_* variables that are not settings', () => {
  test('TESSERA_REQUIRE_SERVICES (the CI switch for service-backed suites) is ignored, not rejected', () => {
    const config = loadConfig({ env: { TESSERA_REQUIRE_SERVICES: '1', TESSERA_PORT: '9999' }, cwd: tmpdir() })
    assert.equal(config.port, 9999)
    assert.throws(() => loadConfig({ env: { TESSERA_REQUIRE_SERVICE: '1' }, cwd: tmpdir() }), ConfigError)
  })
})
