import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseEventQuery } from './security-event-query.ts'

const NOW = 1_714_564_800 // 2024-05-01T12:00:00Z
const api = { now: NOW, relativeTimes: false }
const cli = { now: NOW, relativeTimes: true }
const USER = 'usr_AAAAAAAAAAAAAAAAAAAAAA'
const CURSOR = `evt_${NOW.toString(16).padStart(10, '0')}0123456789abcdef0123`

describe('parseEventQuery', () => {
  test('nothing given: the newest 100', () => {
    assert.deepEqual(parseEventQuery({}, api), { ok: true, filter: { limit: 100 } })
  })

  test('every field, API form', () => {
    assert.deepEqual(
      parseEventQuery(
        {
          user: USER,
          type: 'login_failed',
          since: '1714500000',
          until: '2024-05-01T12:00:00Z',
          cursor: CURSOR,
          limit: '25',
        },
        api,
      ),
      {
        ok: true,
        filter: {
          userId: USER,
          type: 'login_failed',
          since: 1_714_500_000,
          until: NOW,
          after: { at: NOW, id: CURSOR },
          limit: 25,
        },
      },
    )
  })

  test('times: RFC 3339 with an offset or a bare date; ages at the CLI', () => {
    const since = (text: string, options = api) => {
      const parsed = parseEventQuery({ since: text }, options)
      return parsed.ok ? parsed.filter.since : parsed.field
    }
    assert.equal(since('2024-05-01T14:00:00+02:00'), NOW)
    assert.equal(since('2024-05-01t12:00:00.5z'), NOW)
    assert.equal(since('2024-05-01'), NOW - 12 * 3600)
    assert.equal(since('3600', cli), NOW - 3600)
    assert.equal(since('15m', cli), NOW - 900)
    assert.equal(since('2h', cli), NOW - 7200)
    assert.equal(since('7d', cli), NOW - 7 * 86_400)
    assert.equal(since('3600'), 3600, 'a number is epoch seconds at the API')
  })

  test('each bad field is named', () => {
    const cases: [Parameters<typeof parseEventQuery>[0], string][] = [
      [{ user: 'ada@example.com' }, 'user'],
      [{ user: 'ses_AAAAAAAAAAAAAAAAAAAAAA' }, 'user'],
      [{ type: 'drop table' }, 'type'],
      [{ since: '2024-02-30' }, 'since'],
      [{ since: '2024-05-01T12:00:00' }, 'since'],
      [{ since: '15m' }, 'since'],
      [{ until: '-5' }, 'until'],
      [{ since: '1714564800', until: '1714564800' }, 'until'],
      [{ cursor: 'evt_xyz' }, 'cursor'],
      [{ cursor: 'usr_AAAAAAAAAAAAAAAAAAAAAA' }, 'cursor'],
      [{ limit: '0' }, 'limit'],
      [{ limit: '1001' }, 'limit'],
      [{ limit: '1.5' }, 'limit'],
      [{ limit: '' }, 'limit'],
      [{ since: 'x'.repeat(41) }, 'since'],
    ]
    for (const [query, field] of cases) {
      const parsed = parseEventQuery(query, api)
      assert.equal(parsed.ok, false, JSON.stringify(query))
      if (!parsed.ok) assert.equal(parsed.field, field, JSON.stringify(query))
    }
  })
})
