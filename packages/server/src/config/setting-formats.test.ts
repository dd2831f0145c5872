import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { settingFormats } from './setting-formats.ts'

function problems(format: keyof typeof settingFormats, values: readonly string[]): Array<string | undefined> {
  return values.map((value) => settingFormats[format].findProblem(value))
}

describe('issuer format', () => {
  test('accepts https anywhere, and http on loopback only', () => {
    const good = [
      'https://auth.example.com',
      'https://auth.example.com:8443',
      'https://example.com/tessera',
      'http://localhost:8080',
      'http://localhost',
      'http://127.0.0.1:3000',
      'http://[::1]:8080',
    ]
    assert.deepEqual(
      problems('tessera-issuer', good),
      good.map(() => undefined),
    )
  })

  test('rejects each bad variant with the rule it broke', () => {
    const cases: Array<[string, RegExp]> = [
      ['http://auth.example.com', /http is allowed only for localhost/],
      ['http://localhost.example.com', /http is allowed only for localhost/],
      ['http://10.0.0.1:8080', /http is allowed only for localhost/],
      ['https://auth.example.com/', /ends with a slash/],
      ['https://auth.example.com/tessera/', /ends with a slash/],
      ['https://auth.example.com?tenant=1', /has a query/],
      ['https://auth.example.com?', /has a query/],
      ['https://auth.example.com#top', /has a fragment/],
      ['https://user:pw@auth.example.com', /user info/],
      ['ftp://auth.example.com', /scheme is not http or https/],
      ['auth.example.com', /not an absolute URL/],
      ['', /not an absolute URL/],
      ['HTTPS://Auth.Example.com', /canonical form \(write "https:\/\/auth\.example\.com"\)/],
      ['https://auth.example.com:443', /canonical form/],
      ['https://auth.example.com/a/../b', /canonical form/],
    ]
    for (const [value, pattern] of cases) {
      assert.match(settingFormats['tessera-issuer'].findProblem(value) ?? 'accepted', pattern, value)
    }
  })
})

describe('origin format', () => {
  test('accepts serialised origins only', () => {
    assert.deepEqual(problems('tessera-origin', ['https://app.example.com', 'http://localhost:5173']), [
      undefined,
      undefined,
    ])
    for (const value of [
      'https://app.example.com/',
      'https://app.example.com/app',
      'https://APP.example.com',
      'null',
      'file:///x',
    ]) {
      assert.notEqual(settingFormats['tessera-origin'].findProblem(value), undefined, value)
    }
  })
})

describe('IP or CIDR format', () => {
  test('accepts addresses and blocks of both families', () => {
    const good = ['10.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '::1', '2001:db8::/32', 'fe80::/128']
    assert.deepEqual(
      problems('tessera-ip-or-cidr', good),
      good.map(() => undefined),
    )
  })

  test('rejects names, bad prefixes and extra slashes', () => {
    const bad = [
      'proxy.local',
      '10.0.0.0/33',
      '::/129',
      '10.0.0.0/08',
      '10.0.0.0/',
      '10.0.0.0/8/8',
      '10.0.0.256',
    ]
    for (const value of bad)
      assert.notEqual(settingFormats['tessera-ip-or-cidr'].findProblem(value), undefined, value)
  })
})

describe('store URL formats', () => {
  test('PostgreSQL and Redis URLs need their own schemes', () => {
    assert.deepEqual(problems('tessera-postgres-url', ['postgres://db/x', 'postgresql://u:p@db:5432/x']), [
      undefined,
      undefined,
    ])
    assert.match(
      settingFormats['tessera-postgres-url'].findProblem('mysql://db/x') ?? '',
      /postgres:\/\/ or postgresql:\/\//,
    )
    assert.deepEqual(problems('tessera-redis-url', ['redis://cache:6379', 'rediss://:p@cache']), [
      undefined,
      undefined,
    ])
    assert.notEqual(settingFormats['tessera-redis-url'].findProblem('http://cache'), undefined)
  })
})

describe('secret format', () => {
  test('counts UTF-8 bytes, not characters', () => {
    assert.equal(settingFormats['tessera-secret'].findProblem('é'.repeat(16)), undefined)
    assert.equal(settingFormats['tessera-secret'].findProblem('e'.repeat(31)), 'it is too short')
  })
})

describe('host format', () => {
  test('accepts IPs and host names', () => {
    const good = ['127.0.0.1', '0.0.0.0', '::', 'localhost', 'auth.internal']
    assert.deepEqual(
      problems('tessera-host', good),
      good.map(() => undefined),
    )
    assert.notEqual(settingFormats['tessera-host'].findProblem('http://localhost'), undefined)
  })
})
