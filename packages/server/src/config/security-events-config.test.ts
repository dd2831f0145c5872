import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { ConfigError } from './config-error.ts'
import { loadConfig } from './load-config.ts'
import type { Config } from './schema.ts'

const cwd = mkdtempSync(join(tmpdir(), 'tessera-config-security-'))
after(() => rmSync(cwd, { recursive: true, force: true }))
const SECRET = 'a webhook secret of at least 32 bytes!'

function load(env: NodeJS.ProcessEnv): Config {
  return loadConfig({ env, cwd })
}

function issuesOf(env: NodeJS.ProcessEnv): ConfigError['issues'] {
  try {
    load(env)
  } catch (error) {
    assert.ok(error instanceof ConfigError)
    return error.issues
  }
  assert.fail('expected a ConfigError')
}

describe('security record settings', () => {
  test('defaults: 90 days, no webhook, suspicious refreshes reported', () => {
    const config = load({})
    assert.equal(config.securityEvents.retentionDays, 90)
    assert.equal(config.securityEvents.webhook.url, undefined)
    assert.deepEqual(config.securityEvents.webhook.types, [])
    assert.equal(config.suspiciousRefresh, 'report')
  })

  test('a webhook from the environment, with a type filter', () => {
    const config = load({
      TESSERA_SECURITY_EVENTS_WEBHOOK_URL: 'https://siem.example.com/hooks/tessera?x=1',
      TESSERA_SECURITY_EVENTS_WEBHOOK_SECRET: SECRET,
      TESSERA_SECURITY_EVENTS_WEBHOOK_TYPES: 'refresh_reuse_detected, suspicious_refresh',
      TESSERA_SUSPICIOUS_REFRESH: 'revoke',
    })
    assert.equal(config.securityEvents.webhook.url, 'https://siem.example.com/hooks/tessera?x=1')
    assert.deepEqual(config.securityEvents.webhook.types, ['refresh_reuse_detected', 'suspicious_refresh'])
    assert.equal(config.suspiciousRefresh, 'revoke')
  })

  test('http only to loopback; no user info', () => {
    for (const url of ['http://127.0.0.1:9000/hook', 'http://localhost/hook', 'http://[::1]:9000/']) {
      const env = { TESSERA_SECURITY_EVENTS_WEBHOOK_URL: url, TESSERA_SECURITY_EVENTS_WEBHOOK_SECRET: SECRET }
      assert.equal(load(env).securityEvents.webhook.url, url)
    }
    for (const [url, problem] of [
      ['http://siem.example.com/hook', /http is allowed only for localhost/],
      ['https://user:pw@siem.example.com/hook', /user info/],
      ['ftp://siem.example.com/', /scheme/],
      ['not a url', /not an absolute URL/],
    ] as const) {
      const [issue] = issuesOf({
        TESSERA_SECURITY_EVENTS_WEBHOOK_URL: url,
        TESSERA_SECURITY_EVENTS_WEBHOOK_SECRET: SECRET,
      })
      assert.equal(issue?.setting, 'securityEvents.webhook.url')
      assert.match(issue?.problem ?? '', problem)
      assert.ok(
        !JSON.stringify(issue).includes('siem.example.com/hook'),
        'the URL (maybe a capability) is masked',
      )
    }
  })

  test('a url needs a secret of at least 32 bytes, which is never echoed', () => {
    const [missing] = issuesOf({ TESSERA_SECURITY_EVENTS_WEBHOOK_URL: 'https://siem.example.com/' })
    assert.equal(missing?.setting, 'securityEvents.webhook.secret')
    assert.match(missing?.problem ?? '', /must be signed/)
    const [short] = issuesOf({
      TESSERA_SECURITY_EVENTS_WEBHOOK_URL: 'https://siem.example.com/',
      TESSERA_SECURITY_EVENTS_WEBHOOK_SECRET: 'too-short-secret-value',
    })
    assert.equal(short?.setting, 'securityEvents.webhook.secret')
    assert.ok(!JSON.stringify(short).includes('too-short-secret-value'))
  })

  test('unknown event types, modes and retention out of range are refused, naming the setting', () => {
    const cases: [NodeJS.ProcessEnv, string][] = [
      [
        { TESSERA_SECURITY_EVENTS_WEBHOOK_TYPES: 'login_failed,no_such_event' },
        'securityEvents.webhook.types',
      ],
      [{ TESSERA_SUSPICIOUS_REFRESH: 'block' }, 'suspiciousRefresh'],
      [{ TESSERA_SECURITY_EVENTS_RETENTION_DAYS: '0' }, 'securityEvents.retentionDays'],
      [{ TESSERA_SECURITY_EVENTS_WEBHOOK_MAX_ATTEMPTS: '11' }, 'securityEvents.webhook.maxAttempts'],
    ]
    for (const [env, setting] of cases) {
      const [issue] = issuesOf(env)
      assert.ok(issue?.setting?.startsWith(setting), `${issue?.setting} names ${setting}`)
    }
  })
})
