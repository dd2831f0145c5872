import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, test } from 'node:test'
import { createManualClock } from '@tessera/core'
import { SecurityWebhook, type SecurityWebhookOptions, type WebhookOutcome } from './security-webhook.ts'
import { verifyWebhookSignature } from './webhook-signature.ts'

const SECRET = 'a webhook secret of at least 32 bytes!'
const clock = createManualClock(1_700_000_000)

interface Received {
  readonly body: string
  readonly signature: string | undefined
  readonly isSignatureValid: boolean
}

/** A loopback receiver: answers with `respond(n)` for the n-th request (1-based); `'hang'` never answers. */
async function startReceiver(
  respond: (attempt: number) => number | 'hang',
): Promise<{ url: string; received: Received[]; server: Server; hung: ServerResponse[] }> {
  const received: Received[] = []
  const hung: ServerResponse[] = []
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const signature = request.headers['tessera-signature']
      const header = typeof signature === 'string' ? signature : undefined
      received.push({
        body,
        signature: header,
        isSignatureValid: verifyWebhookSignature(SECRET, header, body, { nowSeconds: clock.nowSeconds() }),
      })
      const answer = respond(received.length)
      if (answer === 'hang') hung.push(response)
      else response.writeHead(answer).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  after(() => {
    for (const response of hung) response.destroy()
    server.closeAllConnections()
    server.close()
  })
  return { url: `http://127.0.0.1:${port}/hooks/tessera`, received, server, hung }
}

function webhook(
  url: string,
  outcomes: { outcome: WebhookOutcome; id: string }[],
  overrides: Partial<SecurityWebhookOptions> = {},
): { hook: SecurityWebhook; warnings: Record<string, unknown>[] } {
  const warnings: Record<string, unknown>[] = []
  const hook = new SecurityWebhook({
    url,
    secret: SECRET,
    timeoutMs: 2000,
    maxAttempts: 5,
    queueLimit: 100,
    baseDelayMs: 5,
    clock,
    random: () => 0.5,
    logger: { warn: (object) => warnings.push(object) },
    onOutcome: (outcome, id) => outcomes.push({ outcome, id }),
    ...overrides,
  })
  return { hook, warnings }
}

/** Yields to the event loop until `check` holds (the webhook reports every fate through `onOutcome`). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5))
}

const delivery = (id: string, type = 'login_failed') => ({
  id,
  type,
  body: JSON.stringify({ id, type, at: clock.nowSeconds(), details: { reason: 'invalid_credentials' } }),
})

describe('security webhook', () => {
  test('signs each attempt, retries 500s with backoff, and delivers the same body', async () => {
    const receiver = await startReceiver((attempt) => (attempt <= 2 ? 500 : 204))
    const outcomes: { outcome: WebhookOutcome; id: string }[] = []
    const { hook } = webhook(receiver.url, outcomes)
    hook.enqueue(delivery('evt_1'))
    await until(() => outcomes.some((o) => o.outcome === 'delivered'))
    assert.deepEqual(
      outcomes.map((o) => o.outcome),
      ['retried', 'retried', 'delivered'],
    )
    assert.equal(receiver.received.length, 3)
    for (const received of receiver.received) {
      assert.equal(received.isSignatureValid, true, 'every attempt carries a valid signature')
      assert.equal(received.body, delivery('evt_1').body)
      assert.match(received.signature ?? '', /^t=1700000000,v1=[0-9a-f]{64}$/)
    }
    // The receiver's check is real: the same header does not verify another body or under another secret.
    const [first] = receiver.received
    assert.equal(
      verifyWebhookSignature(SECRET, first?.signature, '{}', { nowSeconds: clock.nowSeconds() }),
      false,
    )
    assert.equal(
      verifyWebhookSignature(`${SECRET}x`, first?.signature, first?.body ?? '', {
        nowSeconds: clock.nowSeconds(),
      }),
      false,
    )
    await hook.close({ drainMs: 1000 })
  })

  test('a receiver that never answers: each attempt times out, then the event is given up and logged', async () => {
    const receiver = await startReceiver(() => 'hang')
    const outcomes: { outcome: WebhookOutcome; id: string }[] = []
    const { hook, warnings } = webhook(receiver.url, outcomes, { timeoutMs: 100, maxAttempts: 3 })
    hook.enqueue(delivery('evt_slow'))
    await until(() => outcomes.some((o) => o.outcome === 'failed'))
    assert.deepEqual(
      outcomes.map((o) => o.outcome),
      ['retried', 'retried', 'failed'],
    )
    assert.equal(receiver.received.length, 3)
    assert.deepEqual(warnings.at(-1), {
      event: 'evt_slow',
      type: 'login_failed',
      attempts: 3,
      failure: 'timeout',
      host: new URL(receiver.url).host,
    })
    assert.ok(
      !JSON.stringify(warnings).includes('/hooks/tessera'),
      'the URL path (maybe a secret) is not logged',
    )
    await hook.close({ drainMs: 1000 })
  })

  test('a 4xx other than 408 and 429 is not retried', async () => {
    const receiver = await startReceiver(() => 401)
    const outcomes: { outcome: WebhookOutcome; id: string }[] = []
    const { hook } = webhook(receiver.url, outcomes)
    hook.enqueue(delivery('evt_denied'))
    await until(() => outcomes.length > 0)
    assert.deepEqual(outcomes, [{ outcome: 'failed', id: 'evt_denied' }])
    assert.equal(receiver.received.length, 1)
    await hook.close({ drainMs: 1000 })
  })

  test('a full queue drops its oldest event; shutdown drops what is left and stops waiting', async () => {
    const receiver = await startReceiver(() => 'hang')
    const outcomes: { outcome: WebhookOutcome; id: string }[] = []
    const { hook, warnings } = webhook(receiver.url, outcomes, {
      concurrency: 1,
      queueLimit: 2,
      timeoutMs: 60_000,
    })
    hook.enqueue(delivery('evt_a')) // taken by the one worker at once, then hangs
    await until(() => receiver.received.length === 1)
    for (const id of ['evt_b', 'evt_c', 'evt_d', 'evt_e']) hook.enqueue(delivery(id))
    assert.equal(hook.queueLength, 2)
    assert.deepEqual(outcomes, [
      { outcome: 'dropped', id: 'evt_b' },
      { outcome: 'dropped', id: 'evt_c' },
    ])
    assert.equal(warnings.length, 1, 'one log line for the burst, not one per event')
    await hook.close({ drainMs: 50 })
    assert.deepEqual(
      outcomes
        .slice(2)
        .map((o) => o.id)
        .sort(),
      ['evt_a', 'evt_d', 'evt_e'],
    )
    assert.ok(outcomes.slice(2).every((o) => o.outcome === 'dropped'))
    hook.enqueue(delivery('evt_after_close'))
    assert.equal(hook.queueLength, 0, 'a closed webhook takes nothing')
  })

  test('close waits for a healthy receiver to get what is queued', async () => {
    const receiver = await startReceiver(() => 200)
    const outcomes: { outcome: WebhookOutcome; id: string }[] = []
    const { hook } = webhook(receiver.url, outcomes, { concurrency: 2 })
    for (let i = 0; i < 6; i++) hook.enqueue(delivery(`evt_${i}`))
    await hook.close({ drainMs: 5000 })
    assert.equal(outcomes.filter((o) => o.outcome === 'delivered').length, 6)
    assert.equal(receiver.received.length, 6)
  })

  test('the types filter sends only the named types', async () => {
    const receiver = await startReceiver(() => 200)
    const outcomes: { outcome: WebhookOutcome; id: string }[] = []
    const { hook } = webhook(receiver.url, outcomes, { types: ['refresh_reuse_detected'] })
    hook.enqueue(delivery('evt_login', 'login_failed'))
    hook.enqueue(delivery('evt_reuse', 'refresh_reuse_detected'))
    await hook.close({ drainMs: 5000 })
    assert.deepEqual(outcomes, [{ outcome: 'delivered', id: 'evt_reuse' }])
    assert.deepEqual(
      receiver.received.map((r) => (JSON.parse(r.body) as { id: string }).id),
      ['evt_reuse'],
    )
  })
})
