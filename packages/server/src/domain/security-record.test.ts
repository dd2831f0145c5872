import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { createManualClock, cryptoRandom } from '@tessera/core'
import type { Store } from '../store/ports.ts'
import type { SecurityEvents } from '../store/security-ports.ts'
import { openSqliteStore } from '../store/sqlite/open-sqlite-store.ts'
import type { SecurityEventType } from './security-event-types.ts'
import { type RecordOutcome, SecurityRecord, type SecurityRecordOptions } from './security-record.ts'
import type { WebhookDelivery } from './security-webhook.ts'

const root = mkdtempSync(join(tmpdir(), 'tessera-security-record-'))
after(() => rmSync(root, { recursive: true, force: true }))
const ACCOUNT_KEY = Buffer.alloc(32, 7)

async function withRecord(
  work: (context: {
    record: SecurityRecord
    store: Store
    clock: ReturnType<typeof createManualClock>
    outcomes: [SecurityEventType, RecordOutcome][]
    enqueued: WebhookDelivery[]
  }) => Promise<void>,
  overrides: Partial<SecurityRecordOptions> = {},
): Promise<void> {
  const store = await openSqliteStore({ file: join(mkdtempSync(join(root, 'db-')), 'tessera.db') })
  const clock = createManualClock(1_700_000_000)
  const outcomes: [SecurityEventType, RecordOutcome][] = []
  const enqueued: WebhookDelivery[] = []
  const record = new SecurityRecord({
    events: store.securityEvents,
    clock,
    random: cryptoRandom,
    logger: { warn: () => {} },
    accountKey: ACCOUNT_KEY,
    retentionDays: 90,
    webhook: { enqueue: (delivery) => enqueued.push(delivery), close: async () => {}, queueLength: 0 },
    onOutcome: (type, outcome) => outcomes.push([type, outcome]),
    ...overrides,
  })
  try {
    await work({ record, store, clock, outcomes, enqueued })
  } finally {
    await store.close()
  }
}

describe('security record', () => {
  test('stores an event with a time-ordered id, the time, and the subject; queues the same view', () =>
    withRecord(async ({ record, store, outcomes, enqueued }) => {
      await record.record({
        type: 'session_revoked',
        userId: 'usr_1',
        sessionId: 'ses_1',
        clientId: 'tessera',
        ip: '192.0.2.7',
        userAgent: 'test/1',
        details: { cause: 'logout' },
      })
      const [event] = await store.securityEvents.list({ limit: 10 })
      assert.ok(event)
      assert.match(event.id, /^evt_[0-9a-f]{30}$/)
      assert.equal(Number.parseInt(event.id.slice(4, 14), 16), 1_700_000_000, 'the id starts with its second')
      assert.deepEqual(
        { ...event, id: 'x' },
        {
          id: 'x',
          at: 1_700_000_000,
          type: 'session_revoked',
          userId: 'usr_1',
          sessionId: 'ses_1',
          clientId: 'tessera',
          ip: '192.0.2.7',
          userAgent: 'test/1',
          details: { cause: 'logout' },
        },
      )
      assert.deepEqual(outcomes, [['session_revoked', 'stored']])
      assert.equal(enqueued.length, 1)
      assert.deepEqual(JSON.parse(enqueued[0]?.body ?? ''), {
        id: event.id,
        type: 'session_revoked',
        at: 1_700_000_000,
        user_id: 'usr_1',
        session_id: 'ses_1',
        client_id: 'tessera',
        ip: '192.0.2.7',
        user_agent: 'test/1',
        details: { cause: 'logout' },
      })
    }))

  test('a tried email becomes a keyed pseudonym: the same for any spelling, never the address', () =>
    withRecord(async ({ record, store, clock }) => {
      for (const email of ['Ada@Example.com', ' ada@example.com', 'bob@example.com']) {
        clock.advance(1)
        await record.record({
          type: 'login_failed',
          attemptedEmail: email,
          details: { method: 'password', reason: 'invalid_credentials' },
        })
      }
      const events = await store.securityEvents.list({ limit: 10 })
      const accounts = events.map((e) => e.details.account)
      assert.equal(accounts[1], accounts[2], 'Ada@Example.com and ada@example.com are one account')
      assert.notEqual(accounts[0], accounts[1])
      for (const account of accounts) assert.match(String(account), /^acct_[A-Za-z0-9_-]{22}$/)
      assert.ok(!JSON.stringify(events).toLowerCase().includes('example.com'))
      assert.ok(
        events.every((e) => e.userId === null),
        'a failure names no user, known or not',
      )
      const other = new SecurityRecord({
        events: store.securityEvents,
        clock: createManualClock(0),
        random: cryptoRandom,
        logger: { warn: () => {} },
        accountKey: Buffer.alloc(32, 8),
        retentionDays: 1,
      })
      assert.notEqual(other.accountPseudonym('ada@example.com'), accounts[1], 'keyed by the server secret')
    }))

  test('a store failure is counted and logged by kind only, and never reaches the caller', async () => {
    const warnings: Record<string, unknown>[] = []
    const outcomes: RecordOutcome[] = []
    const failing: SecurityEvents = {
      append: async () => {
        throw Object.assign(new Error('duplicate key value (token_hash)=(deadbeefsecret)'), { code: '23505' })
      },
      list: async () => [],
      pruneBefore: async () => 0,
    }
    const record = new SecurityRecord({
      events: failing,
      clock: createManualClock(1),
      random: cryptoRandom,
      logger: { warn: (object) => warnings.push(object) },
      accountKey: ACCOUNT_KEY,
      retentionDays: 90,
      onOutcome: (_type, outcome) => outcomes.push(outcome),
    })
    await record.record({ type: 'user_disabled', userId: 'usr_1', details: { sessions_revoked: 0 } })
    assert.deepEqual(outcomes, ['failed'])
    assert.deepEqual(warnings, [{ type: 'user_disabled', err: { type: 'Error', code: '23505' } }])
    assert.ok(!JSON.stringify(warnings).includes('deadbeefsecret'))
  })

  test('repeated login_throttled for one rule, address and account within a minute is one event', () =>
    withRecord(async ({ record, store, clock, outcomes }) => {
      const throttled = (ip: string) =>
        record.record({
          type: 'login_throttled',
          ip,
          attemptedEmail: 'ada@example.com',
          details: { rule: 'login_per_account' },
        })
      await throttled('192.0.2.1')
      clock.advance(30)
      await throttled('192.0.2.1')
      await throttled('192.0.2.2')
      clock.advance(30)
      await throttled('192.0.2.1')
      assert.deepEqual(
        outcomes.map(([, outcome]) => outcome),
        ['stored', 'coalesced', 'stored', 'stored'],
      )
      assert.equal((await store.securityEvents.list({ limit: 10 })).length, 3)
    }))

  test('stamps the actor, and bounds text fields', () =>
    withRecord(
      async ({ record, store }) => {
        await record.record({
          type: 'client_created',
          clientId: 'cli_1',
          userAgent: 'u'.repeat(600),
          details: { name: 'n'.repeat(300), scopes: 'a b' },
        })
        const [event] = await store.securityEvents.list({ limit: 1 })
        assert.equal(event?.details.actor, 'cli')
        assert.equal(String(event?.details.name).length, 256)
        assert.equal(event?.userAgent?.length, 512)
      },
      { actor: 'cli' },
    ))

  test('pruneExpired deletes what is older than the retention period', () =>
    withRecord(
      async ({ record, store, clock }) => {
        await record.record({ type: 'key_retired', details: { kid: 'key_old' } })
        clock.advance(86_400)
        await record.record({ type: 'key_retired', details: { kid: 'key_new' } })
        clock.advance(86_401) // two days and a second after the first event
        assert.equal(await record.pruneExpired(), 1)
        const left = await store.securityEvents.list({ limit: 10 })
        assert.deepEqual(
          left.map((e) => e.details.kid),
          ['key_new'],
        )
      },
      { retentionDays: 2 },
    ))
})
