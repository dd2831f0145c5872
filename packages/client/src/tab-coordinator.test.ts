import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type RunOutcome, TabCoordinator } from './tab-coordinator.ts'
import { parseTabMessage, type TabNews } from './tab-messages.ts'
import { createFakeChannelHub, createFakeLocks, type FakeChannelHub } from './testing/fake-tab-apis.ts'
import { createManualTimers, type ManualTimers } from './testing/manual-timers.ts'
import { platformTimers, type Timers } from './timers.ts'

const TOKEN = 'eyJhbGciOiJFZERTQSJ9.eyJleHAiOjF9.c2lnbmF0dXJl'

interface Tab {
  readonly coordinator: TabCoordinator
  readonly heard: TabNews[]
}

function openTabs(
  count: number,
  options: { locks: boolean; hub?: FakeChannelHub; timers?: Timers; peerWaitMs?: number },
): Tab[] {
  const locks = options.locks ? createFakeLocks() : undefined
  const hub = options.hub ?? createFakeChannelHub()
  return Array.from({ length: count }, () => {
    const heard: TabNews[] = []
    const coordinator = new TabCoordinator({
      locks,
      channel: hub.open('tessera-refresh-https://auth.example.test'),
      lockName: 'tessera-refresh-https://auth.example.test',
      onNews: (news) => heard.push(news),
      timers: options.timers ?? platformTimers,
      now: Date.now,
      peerWaitMs: options.peerWaitMs ?? 2000,
      claimWindowMs: 20,
    })
    return { coordinator, heard }
  })
}

/** A refresh whose completion the test controls; it announces its news like the client does. */
function controlledRefresh(tab: Tab): {
  task: () => Promise<string>
  finish: () => void
  calls: () => number
} {
  let calls = 0
  let finish = (): void => {}
  const task = async (): Promise<string> => {
    calls += 1
    await new Promise<void>((resolve) => {
      finish = resolve
    })
    tab.coordinator.announce({ type: 'refreshed', atMs: Date.now(), accessToken: TOKEN, user: undefined })
    return 'own'
  }
  return { task, finish: () => finish(), calls: () => calls }
}

async function until(condition: () => boolean): Promise<void> {
  // Polls; only real waits of the protocol under test (a few ms here) make this take more than a tick.
  for (let i = 0; i < 5000 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 1))
  assert.ok(condition(), 'condition never became true')
}

function isByPeer(outcome: RunOutcome<string>): boolean {
  return outcome.byPeer
}

describe('cross-tab refresh coordination (fakes of navigator.locks and BroadcastChannel)', () => {
  test('with Web Locks, a tab queued behind a refreshing tab adopts its news instead of refreshing', async () => {
    const [a, b] = openTabs(2, { locks: true }) as [Tab, Tab]
    const sinceMs = Date.now() - 1
    const refreshA = controlledRefresh(a)
    const refreshB = controlledRefresh(b)
    const runA = a.coordinator.run(sinceMs, refreshA.task)
    await until(() => refreshA.calls() === 1)
    const runB = b.coordinator.run(sinceMs, refreshB.task)
    refreshA.finish()
    assert.deepEqual(await runA, { byPeer: false, value: 'own' })
    assert.equal(isByPeer(await runB), true)
    assert.equal(refreshB.calls(), 0)
    assert.equal(b.heard[0]?.type, 'refreshed')
  })

  test('the lock can arrive before the news: the next holder waits for it (settle) before refreshing', async () => {
    const hub = createFakeChannelHub()
    const timers: ManualTimers = createManualTimers()
    const [a, b] = openTabs(2, { locks: true, hub, timers }) as [Tab, Tab]
    const sinceMs = Date.now() - 1
    const refreshA = controlledRefresh(a)
    const refreshB = controlledRefresh(b)
    hub.hold()
    const runA = a.coordinator.run(sinceMs, refreshA.task)
    await until(() => refreshA.calls() === 1)
    const runB = b.coordinator.run(sinceMs, refreshB.task)
    refreshA.finish()
    await runA
    await until(() => timers.pending().length === 1) // B holds the lock and waits for news
    assert.equal(refreshB.calls(), 0)
    hub.release()
    assert.equal(isByPeer(await runB), true)
    assert.equal(refreshB.calls(), 0)
    assert.equal(timers.pending().length, 0, 'the settle timer is cleared once the news arrived')
  })

  test('if no news comes within the settle time, the next holder refreshes itself', async () => {
    const hub = createFakeChannelHub()
    const timers = createManualTimers()
    const [a, b] = openTabs(2, { locks: true, hub, timers }) as [Tab, Tab]
    const sinceMs = Date.now() - 1
    let started = false
    let release = (): void => {}
    const failing = (): Promise<string> =>
      new Promise((_resolve, reject) => {
        started = true
        release = () => reject(new Error('network'))
      })
    const runA = a.coordinator.run(sinceMs, failing)
    await until(() => started)
    const refreshB = controlledRefresh(b)
    const runB = b.coordinator.run(sinceMs, refreshB.task)
    release()
    await assert.rejects(runA, /network/)
    await until(() => timers.pending().length === 1)
    timers.fireAll()
    await until(() => refreshB.calls() === 1)
    refreshB.finish()
    assert.deepEqual(await runB, { byPeer: false, value: 'own' })
  })

  test('news older than this tab’s token does not stop its refresh', async () => {
    const [a, b] = openTabs(2, { locks: true }) as [Tab, Tab]
    a.coordinator.announce({
      type: 'refreshed',
      atMs: Date.now() - 10_000,
      accessToken: TOKEN,
      user: undefined,
    })
    await until(() => b.heard.length === 1)
    const refreshB = controlledRefresh(b)
    const runB = b.coordinator.run(Date.now() - 5000, refreshB.task)
    await until(() => refreshB.calls() === 1)
    refreshB.finish()
    assert.deepEqual(await runB, { byPeer: false, value: 'own' })
  })

  test('without Web Locks, two tabs claiming at once still refresh once', async () => {
    const [a, b] = openTabs(2, { locks: false }) as [Tab, Tab]
    const sinceMs = Date.now() - 1
    const refreshA = controlledRefresh(a)
    const refreshB = controlledRefresh(b)
    const runs = [a.coordinator.run(sinceMs, refreshA.task), b.coordinator.run(sinceMs, refreshB.task)]
    await until(() => refreshA.calls() + refreshB.calls() === 1)
    refreshA.finish()
    refreshB.finish()
    const outcomes = await Promise.all(runs)
    assert.equal(refreshA.calls() + refreshB.calls(), 1)
    assert.deepEqual(outcomes.map(isByPeer).sort(), [false, true])
  })

  test('without Web Locks, a tab whose peer announced but never reported refreshes after waiting', async () => {
    const hub = createFakeChannelHub()
    const [waiting] = openTabs(1, { locks: false, hub, peerWaitMs: 30 }) as [Tab]
    const silentPeer = hub.open('tessera-refresh-https://auth.example.test')
    silentPeer.postMessage({ type: 'refreshing', atMs: Date.now(), id: 0 })
    await until(() => hub.posted.length === 1)
    await new Promise((resolve) => setTimeout(resolve, 5))
    const refresh = controlledRefresh(waiting)
    const run = waiting.coordinator.run(Date.now() - 1, refresh.task)
    await until(() => refresh.calls() === 1)
    refresh.finish()
    assert.deepEqual(await run, { byPeer: false, value: 'own' })
  })

  test('malformed or impossible messages are dropped', async () => {
    const hub = createFakeChannelHub()
    const [tab] = openTabs(1, { locks: true, hub }) as [Tab]
    const sender = hub.open('tessera-refresh-https://auth.example.test')
    sender.postMessage({ type: 'refreshed', atMs: Date.now() + 3_600_000, accessToken: TOKEN })
    sender.postMessage({ type: 'refreshed', atMs: Date.now(), accessToken: 'not a jws' })
    sender.postMessage({ type: 'session-ended', atMs: Date.now(), reason: 'because' })
    sender.postMessage('hello')
    sender.postMessage({ type: 'signed-out', atMs: Date.now() })
    await until(() => tab.heard.length === 1)
    await new Promise((resolve) => setTimeout(resolve, 5))
    assert.deepEqual(
      tab.heard.map((news) => news.type),
      ['signed-out'],
    )
    assert.equal(
      parseTabMessage({ type: 'signed-in', atMs: 1, accessToken: TOKEN, user: { id: 1 } }),
      undefined,
    )
    assert.deepEqual(parseTabMessage({ type: 'session-ended', atMs: 1, reason: 'refresh_token_reused' }), {
      type: 'session-ended',
      atMs: 1,
      reason: 'refresh_token_reused',
    })
  })

  test('close() releases a waiting refresh', async () => {
    const timers = createManualTimers()
    const hub = createFakeChannelHub()
    const [a, b] = openTabs(2, { locks: true, hub, timers }) as [Tab, Tab]
    const refreshA = controlledRefresh(a)
    hub.hold()
    const runA = a.coordinator.run(0, refreshA.task)
    await until(() => refreshA.calls() === 1)
    const runB = b.coordinator.run(Date.now(), async () => 'own')
    refreshA.finish()
    await runA
    await until(() => timers.pending().length === 1)
    b.coordinator.close()
    assert.deepEqual(await runB, { byPeer: false, value: 'own' })
  })
})
