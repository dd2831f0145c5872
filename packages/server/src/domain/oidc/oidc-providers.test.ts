import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { expectedIssuerOf, MICROSOFT_CONSUMER_TENANT } from './oidc-providers.ts'

const TEMPLATE = 'https://login.microsoftonline.com/{tenantid}/v2.0'
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'

describe('expectedIssuerOf (Entra multi-tenant)', () => {
  test('the template with the token’s own tid', () => {
    assert.equal(
      expectedIssuerOf(TEMPLATE, { tid: TENANT }, { tenant: 'common' }),
      `https://login.microsoftonline.com/${TENANT}/v2.0`,
    )
  })

  test('no tid, or a tid that is not a tenant id, refuses the token', () => {
    for (const tid of [undefined, 42, '', '{tenantid}', `${TENANT}/../x`, TENANT.toUpperCase()]) {
      assert.equal(expectedIssuerOf(TEMPLATE, { tid }, { tenant: 'common' }), undefined, String(tid))
    }
  })

  test('allowedTenants, organizations and consumers restrict the tenant', () => {
    assert.equal(
      expectedIssuerOf(TEMPLATE, { tid: TENANT }, { tenant: 'common', allowedTenants: [] }),
      undefined,
    )
    assert.ok(expectedIssuerOf(TEMPLATE, { tid: TENANT }, { tenant: 'common', allowedTenants: [TENANT] }))
    assert.equal(
      expectedIssuerOf(TEMPLATE, { tid: MICROSOFT_CONSUMER_TENANT }, { tenant: 'organizations' }),
      undefined,
    )
    assert.ok(expectedIssuerOf(TEMPLATE, { tid: TENANT }, { tenant: 'organizations' }))
    assert.equal(expectedIssuerOf(TEMPLATE, { tid: TENANT }, { tenant: 'consumers' }), undefined)
  })
})
