import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { resolveGuardOptions } from './guard-options.ts'

describe('guard options', () => {
  test('defaults', () => {
    const options = resolveGuardOptions({ issuer: 'http://localhost:8080', audience: 'orders-api' })
    assert.deepEqual(
      {
        algorithms: options.algorithms,
        leewaySeconds: options.leewaySeconds,
        maxTokenLifetimeSeconds: options.maxTokenLifetimeSeconds,
        jwksCooldownSeconds: options.jwksCooldownSeconds,
        jwksRefreshSeconds: options.jwksRefreshSeconds,
        failMode: options.failMode,
        maxSilenceSeconds: options.maxSilenceSeconds,
        cacheMaxEntries: options.cacheMaxEntries,
        fingerprintCookie: options.fingerprintCookie,
        realm: options.realm,
      },
      {
        algorithms: ['EdDSA', 'ES256'],
        leewaySeconds: 5,
        maxTokenLifetimeSeconds: 900,
        jwksCooldownSeconds: 30,
        jwksRefreshSeconds: 300,
        failMode: 'closed',
        maxSilenceSeconds: 30,
        cacheMaxEntries: 10_000,
        fingerprintCookie: '__Host-tessera-fgp',
        realm: 'tessera',
      },
    )
    assert.ok(Object.isFrozen(options))
  })

  test('a bad option stops startup, naming the option and the allowed range', () => {
    const base = { issuer: 'http://localhost:8080', audience: 'orders-api' }
    assert.throws(() => resolveGuardOptions({ ...base, issuer: 'localhost:8080' }), /issuer/)
    assert.throws(() => resolveGuardOptions({ ...base, issuer: 'ftp://x' }), /issuer/)
    assert.throws(() => resolveGuardOptions({ ...base, audience: [] }), /audience/)
    assert.throws(
      () => resolveGuardOptions({ ...base, leewaySeconds: -1 }),
      /leewaySeconds is -1; allowed: an integer from 0 to 300/,
    )
    assert.throws(() => resolveGuardOptions({ ...base, algorithms: ['HS256' as never] }), /algorithms/)
    assert.throws(
      () => resolveGuardOptions({ ...base, revocation: { failMode: 'maybe' as never } }),
      /failMode/,
    )
    assert.throws(
      () => resolveGuardOptions({ ...base, revocation: { maxSilenceSeconds: 5 } }),
      /maxSilenceSeconds/,
    )
    assert.throws(() => resolveGuardOptions({ ...base, realm: 'a"b' }), /realm/)
    assert.throws(() => resolveGuardOptions({ ...base, fingerprintCookie: 'a;b' }), /fingerprintCookie/)
    assert.throws(() => resolveGuardOptions({ ...base, client: { id: 'x', secret: '' } }), /client/)
  })

  test('redis: a redis(s) URL and a brace-free prefix, defaulting to tessera:', () => {
    const base = { issuer: 'http://localhost:8080', audience: 'orders-api' }
    assert.deepEqual(resolveGuardOptions({ ...base, redis: { url: 'redis://cache:6379' } }).redis, {
      url: 'redis://cache:6379',
      keyPrefix: 'tessera:',
    })
    assert.equal(resolveGuardOptions(base).redis, undefined)
    for (const redis of [
      { url: 'http://cache:6379' },
      { url: 'not a url' },
      { url: 'redis://cache', keyPrefix: '{tessera}:' },
      { url: 'redis://cache', keyPrefix: 'x'.repeat(65) },
    ]) {
      assert.throws(() => resolveGuardOptions({ ...base, redis }), /guard option redis\./)
    }
  })

  test('publicOrigin: an http(s) origin without path, stored as its origin', () => {
    const base = { issuer: 'http://localhost:8080', audience: 'orders-api' }
    assert.equal(resolveGuardOptions(base).publicOrigin, undefined)
    assert.equal(
      resolveGuardOptions({ ...base, publicOrigin: 'https://API.example.com/' }).publicOrigin,
      'https://api.example.com',
    )
    assert.equal(
      resolveGuardOptions({ ...base, publicOrigin: 'http://localhost:3000' }).publicOrigin,
      'http://localhost:3000',
    )
    for (const publicOrigin of [
      'api.example.com',
      'ftp://api.example.com',
      'https://api.example.com/v1',
      'https://api.example.com?x=1',
      'https://api.example.com/#top',
      'https://user:pw@api.example.com',
    ]) {
      assert.throws(
        () => resolveGuardOptions({ ...base, publicOrigin }),
        /guard option publicOrigin/,
        publicOrigin,
      )
    }
  })
})
