import assert from 'node:assert/strict'
import { test } from 'node:test'
import { call, PASSWORD, signUp, startTestServer } from '../support/test-server.ts'

test('closing the server drains requests in flight: every login started before close completes', async () => {
  // Twelve logins at one account at once: more than the default per-account burst, which would answer
  // some with 429 before they ever reach the hasher.
  const t = await startTestServer({ env: { TESSERA_THROTTLE_LOGIN_PER_ACCOUNT_LIMIT: '100' } })
  const user = await signUp(t.url)
  // Each login runs a real argon2id verify (tens of milliseconds), so they are still in flight at close.
  const inFlight = Array.from({ length: 12 }, () =>
    call(t.url, '/v1/login', { body: { email: user.email, password: PASSWORD } }),
  )
  // Close once every request is inside the server, waiting on or running its hash: then all are in flight.
  const hasher = t.server.services.hasher
  const before = hasher.stats().completedTotal
  for (let waited = 0; waited < 10_000; waited += 2) {
    const stats = hasher.stats()
    if (stats.running + stats.queued + (stats.completedTotal - before) >= 12) break
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  const isHashing = hasher.stats().running + hasher.stats().queued > 0
  const closed = t.close()
  assert.ok(isHashing, 'some logins are still hashing at close')
  const results = await Promise.all(inFlight)
  await closed
  assert.deepEqual(
    results.map((r) => r.status),
    Array(12).fill(200),
  )
  await assert.rejects(fetch(`${t.url}/healthz`), 'the listener is gone after close')
})
