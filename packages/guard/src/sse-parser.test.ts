import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { EventStreamError, EventStreamParser, type ServerSentEvent } from './sse-parser.ts'

function parse(chunks: readonly (string | Uint8Array)[], maxEventChars = 1024): ServerSentEvent[] {
  const events: ServerSentEvent[] = []
  const parser = new EventStreamParser((event) => events.push(event), maxEventChars)
  for (const chunk of chunks) parser.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return events
}

describe('EventStreamParser', () => {
  test('dispatches typed events with id, joining data lines', () => {
    const events = parse(['id: a-1\nevent: ping\ndata: {"at":1}\n\n', ': comment\ndata: x\ndata: y\n\n'])
    assert.deepEqual(events, [
      { type: 'ping', data: '{"at":1}', lastEventId: 'a-1' },
      { type: 'message', data: 'x\ny', lastEventId: 'a-1' },
    ])
  })

  test('handles CRLF, CR and LF, also when a CRLF or a UTF-8 character is split across chunks', () => {
    const euro = Buffer.from('data: €\r\n\r\n')
    const events = parse(['event: a\r', '\ndata: 1\r\r', 'data:2\n\n', euro.subarray(0, 7), euro.subarray(7)])
    assert.deepEqual(
      events.map((event) => [event.type, event.data]),
      [
        ['a', '1'],
        ['message', '2'],
        ['message', '€'],
      ],
    )
  })

  test('an event without data is not dispatched, but its id still counts', () => {
    const events: ServerSentEvent[] = []
    const parser = new EventStreamParser((event) => events.push(event), 1024)
    parser.push(Buffer.from('id: b-7\nevent: nothing\n\n'))
    assert.equal(events.length, 0)
    assert.equal(parser.lastEventId, 'b-7')
  })

  test('bounds: an overlong line or event, and invalid UTF-8, throw EventStreamError', () => {
    assert.throws(() => parse([`data: ${'x'.repeat(2000)}`]), EventStreamError)
    assert.throws(() => parse(['data: 12345\n'.repeat(200)], 1024), EventStreamError)
    assert.throws(() => parse([new Uint8Array([0x64, 0x61, 0xff, 0x0a])]), EventStreamError)
  })
})
