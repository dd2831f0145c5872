import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, beforeEach, describe, test } from 'node:test'
import { createManualClock } from '@tessera/core'
import { newUser, startSession } from '../store/conformance/conformance-fixtures.ts'
import type { Store } from '../store/ports.ts'
import { openSqliteStore } from '../store/sqlite/open-sqlite-store.ts'
import { RevocationBus } from './revocation-bus.ts'
import { type FeedMessage, RevocationFeed } from './revocation-feed.ts'

const T0 = 1_700_000_000
const INSTANCE = 'abc123'

describe('RevocationFeed (real SQLite file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-feed-'))
  let store: Store
  let bus: RevocationBus
  let feed: RevocationFeed
  const clock = createManualClock(T0)

  before(async () => {
    store = await openSqliteStore({ file: join(dir, 'tessera.db') })
    await startSession(store, 'old', { owner: 'ada', createdAt: T0 - 2000 })
    await startSession(store, 'recent', { owner: 'ada', createdAt: T0 - 2000 })
    await store.sessions.revoke('old', { at: T0 - 906, reason: 'logout' })
    await store.sessions.revoke('recent', { at: T0 - 905, reason: 'logout' })
    await store.users.create(newUser('eve'))
    await store.users.raiseNotBefore('user-eve', T0 - 10)
  })
  beforeEach(() => {
    bus = new RevocationBus()
    feed = new RevocationFeed({ bus, store, clock, instanceId: INSTANCE, windowSeconds: 905, bufferSize: 3 })
  })
  after(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  function revoke(sid: string): void {
    bus.publish({ type: 'session_revoked', sessionIds: [sid], userId: 'user-ada', at: T0 })
  }

  async function collect(lastEventId?: string): Promise<FeedMessage[]> {
    const messages: FeedMessage[] = []
    await feed.subscribe(lastEventId, (message) => messages.push(message))
    return messages
  }

  test('a new subscriber gets a snapshot of revocations inside the window, with the current id', async () => {
    revoke('s1')
    const [snapshot] = await collect()
    assert.equal(snapshot?.event, 'snapshot')
    assert.equal(snapshot?.id, `${INSTANCE}-1`)
    assert.deepEqual(JSON.parse(snapshot?.data ?? ''), {
      sessions: [{ sid: 'recent', sub: 'user-ada', at: T0 - 905 }],
      users: [{ sub: 'user-eve', not_before: T0 - 10 }],
      window_seconds: 905,
    })
  })

  test('live events are numbered and serialised per docs/guard-protocol.md', async () => {
    const messages = await collect()
    revoke('s1')
    bus.publish({ type: 'user_not_before', userId: 'user-eve', at: T0 + 1 })
    assert.deepEqual(messages.slice(1), [
      {
        id: `${INSTANCE}-1`,
        event: 'session_revoked',
        data: '{"sids":["s1"],"sub":"user-ada","at":1700000000}',
      },
      { id: `${INSTANCE}-2`, event: 'user_not_before', data: '{"sub":"user-eve","at":1700000001}' },
    ])
    assert.equal(feed.lastEventId, `${INSTANCE}-2`)
  })

  test('events published while the snapshot is read arrive after it, none lost', async () => {
    const messages: FeedMessage[] = []
    const subscribing = feed.subscribe(undefined, (message) => messages.push(message))
    revoke('during')
    await subscribing
    revoke('after')
    assert.deepEqual(
      messages.map((m) => m.event),
      ['snapshot', 'session_revoked', 'session_revoked'],
    )
    assert.equal(messages[0]?.id, `${INSTANCE}-0`)
    assert.deepEqual(
      messages.slice(1).map((m) => m.id),
      [`${INSTANCE}-1`, `${INSTANCE}-2`],
    )
  })

  test('Last-Event-ID within the buffer resumes with the missed events only', async () => {
    for (const sid of ['a', 'b', 'c']) revoke(sid)
    const resumed = await collect(`${INSTANCE}-1`)
    assert.deepEqual(
      resumed.map((m) => [m.event, m.id]),
      [
        ['resume', `${INSTANCE}-1`],
        ['session_revoked', `${INSTANCE}-2`],
        ['session_revoked', `${INSTANCE}-3`],
      ],
    )
    assert.deepEqual(
      (await collect(`${INSTANCE}-3`)).map((m) => m.event),
      ['resume'],
    )
  })

  test('an id that cannot be resumed gets a snapshot: evicted, future, other instance, garbage', async () => {
    for (const sid of ['a', 'b', 'c', 'd', 'e']) revoke(sid)
    // Buffer 3 holds events 3..5: resuming after 2 still works, after 1 does not.
    assert.equal((await collect(`${INSTANCE}-2`))[0]?.event, 'resume')
    for (const id of [`${INSTANCE}-1`, `${INSTANCE}-6`, 'ffff-3', 'nonsense', `${INSTANCE}-03`]) {
      assert.equal((await collect(id))[0]?.event, 'snapshot', id)
    }
  })

  test('unsubscribe and close stop delivery', async () => {
    const messages: FeedMessage[] = []
    const subscription = await feed.subscribe(undefined, (message) => messages.push(message))
    assert.equal(feed.subscriberCount, 1)
    subscription.unsubscribe()
    revoke('x')
    assert.equal(messages.length, 1)
    await collect()
    feed.close()
    assert.equal(feed.subscriberCount, 0)
    revoke('y')
    assert.equal(feed.lastEventId, `${INSTANCE}-1`, 'a closed feed no longer hears the bus')
  })

  test('a listener that throws does not stop the others', async () => {
    await feed.subscribe(undefined, (message) => {
      if (message.event !== 'snapshot') throw new Error('broken stream')
    })
    const messages = await collect()
    revoke('x')
    assert.equal(messages.length, 2)
  })
})
