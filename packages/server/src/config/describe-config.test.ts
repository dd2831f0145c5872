import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { describeConfig } from './describe-config.ts'
import { renderConfigTable, replaceGeneratedSection } from './render-config-docs.ts'
import { findSettingByEnvName, settingLeaves, toEnvName } from './setting-catalog.ts'

describe('describeConfig', () => {
  test('every setting has a description, a type, a default and a range', () => {
    const rows = describeConfig()
    assert.ok(rows.length > settingLeaves.length)
    for (const row of rows) {
      assert.notEqual(row.description, '', `${row.path} has no description`)
      assert.notEqual(row.range, 'a valid value', `${row.path} has no describable range`)
      assert.notEqual(row.defaultValue, '', row.path)
    }
  })

  test('names the SPEC §1 defaults and env names', () => {
    const byPath = new Map(describeConfig().map((row) => [row.path, row]))
    assert.deepEqual(byPath.get('accessToken.ttlSeconds'), {
      path: 'accessToken.ttlSeconds',
      envName: 'TESSERA_ACCESS_TOKEN_TTL_SECONDS',
      envAliases: ['TESSERA_ACCESS_TOKEN_TTL'],
      type: 'integer',
      defaultValue: '900',
      defaultKind: 'value',
      range: 'an integer from 60 to 86400',
      description: 'Lifetime of an access token (up to 5% random jitter is taken off).',
    })
    assert.equal(byPath.get('issuer')?.defaultValue, 'http://localhost:<port>')
    assert.equal(byPath.get('host')?.defaultValue, '127.0.0.1')
    assert.deepEqual(byPath.get('refreshToken.graceSeconds')?.envAliases, ['TESSERA_REFRESH_GRACE_SECONDS'])
    assert.equal(byPath.get('oidc.providers[].id')?.envName, null)
  })

  test('env names are derived from paths and unique', () => {
    assert.equal(
      toEnvName('throttle.loginPerIp.windowSeconds'),
      'TESSERA_THROTTLE_LOGIN_PER_IP_WINDOW_SECONDS',
    )
    const names = settingLeaves.flatMap((leaf) => [leaf.envName, ...leaf.envAliases])
    assert.equal(new Set(names).size, names.length)
    for (const name of [
      'TESSERA_HOST',
      'TESSERA_PORT',
      'TESSERA_ISSUER',
      'TESSERA_DATA_DIR',
      'TESSERA_DATABASE_URL',
    ]) {
      assert.ok(findSettingByEnvName(name), name)
    }
    for (const name of [
      'TESSERA_REDIS_URL',
      'TESSERA_SECRET',
      'TESSERA_ALLOWED_ORIGINS',
      'TESSERA_LOG_LEVEL',
    ]) {
      assert.ok(findSettingByEnvName(name), name)
    }
  })
})

describe('docs/configuration.md', () => {
  test('carries the current generated table (run scripts/generate-config-docs.ts)', () => {
    const document = readFileSync(new URL('../../../../docs/configuration.md', import.meta.url), 'utf8')
    assert.equal(replaceGeneratedSection(document, renderConfigTable(describeConfig())), document)
  })

  test('splicing needs both markers', () => {
    assert.throws(() => replaceGeneratedSection('no markers here', 'table'), /lacks the markers/)
  })
})
