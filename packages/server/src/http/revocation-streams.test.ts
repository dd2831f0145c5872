import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { createManualClock } from '@tessera/core'
import { openEventStream } from '../../../../test/support/sse-reader.ts'
import { RevocationBus } from '../domain/revocation-bus.ts'
import { RevocationFeed } from '../domain/revocation-feed.ts'
import type { Store } from '../store/ports.ts'
import { openSqliteStore } from '../store/sqlite/open-sqlite-store.ts'
import { formatServerSentEvent, RevocationStreams } from './revocation-streams.ts'

describe('RevocationStreams over node:http', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-streams-'))
  const clock = createManualClock(1_700_000_000)
  const bus = new RevocationBus()
  let store: Store
  let feed: RevocationFeed
  let streams: RevocationStreams
  let server: Server
  let url: string

  before(async () => {
    store = await openSqliteStore({ file: join(dir, 'tessera.db') })
    feed = new RevocationFeed({ bus, store, clock, instanceId: 'feed', windowSeconds: 905 })
    streams = new RevocationStreams({
      feed,
      clock,
      maxStreams: 2,
      pingIntervalMs: 50,
      maxBufferedBytes: 1 << 20,
    })
    server = createServer((request, response) => {
      const lastEventId = request.headers['last-event-id']
      void streams.open(response, typeof lastEventId === 'string' ? lastEventId : undefined)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  })
  after(async () => {
    streams.closeAll()
    await new Promise((resolve) => server.close(resolve))
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('formats one event per blank-line-terminated block', () => {
    assert.equal(
      formatServerSentEvent({ id: 'a-1', event: 'ping', data: '{"at":1}' }),
      'id: a-1\nevent: ping\ndata: {"at":1}\n\n',
    )
  })

  test('snapshot first, then live events and pings that carry the latest event id', async () => {
    const stream = await openEventStream(url, {})
    assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    assert.equal((await stream.next()).event, 'snapshot')
    bus.publish({ type: 'session_revoked', sessionIds: ['s1'], userId: 'u1', at: 1 })
    const live = await stream.next()
    assert.equal(live.event, 'session_revoked')
    const ping = await stream.next(1000)
    assert.deepEqual([ping.event, ping.id, ping.data], ['ping', live.id, '{"at":1700000000}'])
    assert.equal(streams.size, 1)
    stream.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(streams.size, 0, 'a disconnected client is forgotten')
    assert.equal(feed.subscriberCount, 0)
  })

  test('isFull at the bound; closeAll ends every stream and refuses new ones', async () => {
    const first = await openEventStream(url, {})
    const second = await openEventStream(url, {})
    await first.next()
    await second.next()
    assert.equal(streams.isFull, true)
    streams.closeAll()
    await first.ended()
    await second.ended()
    assert.equal(streams.size, 0)
    assert.equal(streams.isFull, true, 'no new streams while shutting down')
  })
})
