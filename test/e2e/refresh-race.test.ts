import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { bearer, call, signUp, startTestServer, type TestServer } from '../support/test-server.ts'

describe('concurrent refreshes of one token', () => {
  let t: TestServer
  before(async () => {
    t = await startTestServer()
  })
  after(async () => {
    await t.close()
  })

  test('50 concurrent refreshes with one token all succeed with the same successor; the session lives', async () => {
    const user = await signUp(t.url)
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } }),
      ),
    )
    const statuses = responses.map((r) => r.status)
    assert.deepEqual(new Set(statuses), new Set([200]), `statuses: ${statuses.join(',')}`)
    const successors = new Set(responses.map((r) => r.body.refresh_token))
    assert.equal(successors.size, 1, 'one successor, no fork')
    const [successor] = successors
    assert.notEqual(successor, user.refreshToken)

    const next = await call(t.url, '/v1/refresh', { body: { refresh_token: successor } })
    assert.equal(next.status, 200, 'the successor still works: no logout')
    const me = await call(t.url, '/v1/me', { headers: bearer(next.body.access_token as string) })
    assert.equal(me.status, 200)
  })
})
