import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { createManualClock, type ManualClock } from '@tessera/core'
import type { Store } from '../store/ports.ts'
import { openSqliteStore } from '../store/sqlite/open-sqlite-store.ts'
import { newId } from './ids.ts'
import { RevocationBus, type RevocationEvent } from './revocation-bus.ts'
import { RevocationPoller } from './revocation-poller.ts'

describe('RevocationPoller: revocations written by other processes reach this bus', () => {
  let dir: string
  let store: Store
  let other: Store
  let clock: ManualClock
  let bus: RevocationBus
  let events: RevocationEvent[]
  let poller: RevocationPoller

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-poller-'))
    store = await openSqliteStore({ file: join(dir, 'db.sqlite') })
    other = await openSqliteStore({ file: join(dir, 'db.sqlite') }) // "another process" on the same file
    clock = createManualClock(1_800_000_000)
    bus = new RevocationBus()
    events = []
    bus.subscribe((event) => events.push(event))
    poller = new RevocationPoller({ bus, store, clock })
  })
  afterEach(async () => {
    poller.close()
    await other.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  async function sessionOfNewUser(): Promise<{ userId: string; sessionId: string }> {
    const created = await store.users.create({
      id: newId('usr'),
      email: `${newId('usr')}@example.test`,
      name: null,
      passwordHash: null,
      createdAt: clock.nowSeconds(),
    })
    assert.ok(created.ok)
    const session = await store.sessions.start(
      {
        id: newId('ses'),
        userId: created.user.id,
        clientId: 'tessera',
        createdAt: clock.nowSeconds(),
        expiresAt: clock.nowSeconds() + 3600,
        ip: null,
        userAgent: null,
      },
      { id: newId('rt'), tokenHash: 'a'.repeat(64), expiresAt: clock.nowSeconds() + 3600 },
    )
    return { userId: created.user.id, sessionId: session.id }
  }

  test('a session revoked through another store is published once', async () => {
    const { userId, sessionId } = await sessionOfNewUser()
    clock.advance(1)
    await other.sessions.revoke(sessionId, { at: clock.nowSeconds(), reason: 'cli' })
    assert.equal(await poller.poll(), 1)
    assert.deepEqual(events, [
      {
        type: 'session_revoked',
        sessionIds: [sessionId],
        userId,
        at: clock.nowSeconds(),
        source: 'database',
      },
    ])
    clock.advance(1)
    assert.equal(await poller.poll(), 0, 'not again')
  })

  test('a revocation this process already published is not repeated', async () => {
    const { userId, sessionId } = await sessionOfNewUser()
    const at = clock.nowSeconds()
    await store.sessions.revoke(sessionId, { at, reason: 'logout' })
    bus.publish({ type: 'session_revoked', sessionIds: [sessionId], userId, at })
    assert.equal(await poller.poll(), 0)
    assert.equal(events.length, 1)
  })

  test("a user's not-before raised elsewhere is published; an older one is not", async () => {
    const { userId } = await sessionOfNewUser()
    clock.advance(10)
    await other.users.raiseNotBefore(userId, clock.nowSeconds())
    assert.equal(await poller.poll(), 1)
    assert.deepEqual(events.at(-1), {
      type: 'user_not_before',
      userId,
      at: clock.nowSeconds(),
      source: 'database',
    })
    assert.equal(await poller.poll(), 0)
  })

  test('revocations older than the poll window are left to the snapshot', async () => {
    const { sessionId } = await sessionOfNewUser()
    await other.sessions.revoke(sessionId, { at: clock.nowSeconds() - 60, reason: 'old' })
    assert.equal(await poller.poll(), 0)
  })
})
