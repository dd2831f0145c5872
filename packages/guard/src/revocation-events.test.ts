import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AccessTokenClaims } from '@tessera/core'
import { GuardError } from './guard-errors.ts'
import { applyFeedEvent, FeedProtocolError } from './revocation-events.ts'
import { RevocationState } from './revocation-state.ts'

const now = 1_764_400_000

function claims(
  overrides: { readonly [K in keyof AccessTokenClaims]?: AccessTokenClaims[K] | undefined } = {},
): AccessTokenClaims {
  return {
    iss: 'i',
    sub: 'usr_1',
    aud: 'a',
    exp: now + 600,
    iat: now - 10,
    jti: 'j',
    client_id: 'c',
    sid: 'ses_1',
    ...overrides,
  } as AccessTokenClaims
}

function reasonOf(state: RevocationState, token: AccessTokenClaims): string {
  try {
    state.check(token)
    return 'accepted'
  } catch (error) {
    assert.ok(error instanceof GuardError)
    return error.reason
  }
}

const event = (type: string, data: unknown) => ({ type, data: JSON.stringify(data), lastEventId: 'x-1' })

describe('revocation events and state', () => {
  test('a snapshot revokes sessions and sets not-before times; window_seconds bounds their life', () => {
    const state = new RevocationState(905)
    applyFeedEvent(
      event('snapshot', {
        sessions: [{ sid: 'ses_1', sub: 'usr_1', at: now - 5 }],
        users: [{ sub: 'usr_2', not_before: now }],
        window_seconds: 100,
      }),
      state,
      now,
    )
    assert.equal(reasonOf(state, claims()), 'session_revoked')
    assert.equal(reasonOf(state, claims({ sub: 'usr_2', sid: 'ses_9' })), 'revoked')
    assert.equal(reasonOf(state, claims({ sub: 'usr_2', sid: 'ses_9', iat: now })), 'accepted')
    state.prune(now + 101)
    assert.deepEqual(state.size, { sessions: 0, users: 0 })
  })

  test('live events; a not-before never moves back', () => {
    const state = new RevocationState(905)
    applyFeedEvent(event('session_revoked', { sids: ['ses_a', 'ses_b'], sub: 'usr_1', at: now }), state, now)
    applyFeedEvent(event('user_not_before', { sub: 'usr_1', at: now }), state, now)
    applyFeedEvent(event('user_not_before', { sub: 'usr_1', at: now - 100 }), state, now)
    assert.equal(reasonOf(state, claims({ sid: 'ses_b', iat: now })), 'session_revoked')
    assert.equal(reasonOf(state, claims({ sid: 'ses_c', iat: now - 1 })), 'revoked')
    assert.equal(reasonOf(state, claims({ sid: undefined, iat: now })), 'accepted')
  })

  test('ping, resume and unknown types apply nothing; bad data is a protocol error, applied not at all', () => {
    const state = new RevocationState(905)
    applyFeedEvent(event('ping', { at: now }), state, now)
    applyFeedEvent(event('resume', {}), state, now)
    applyFeedEvent({ type: 'future_event', data: 'not json', lastEventId: '' }, state, now)
    const broken = [
      { type: 'session_revoked', data: '{"sids":["a"],"sids":["b"],"sub":"u","at":1}', lastEventId: '' },
      event('session_revoked', { sids: 'ses_1', sub: 'u', at: now }),
      event('user_not_before', { sub: 'u', at: 1.5 }),
      event('snapshot', {
        sessions: [
          { sid: 'ses_1', at: now },
          { sid: 7, at: now },
        ],
        users: [],
        window_seconds: 9,
      }),
      event('ping', []),
    ]
    for (const bad of broken)
      assert.throws(() => applyFeedEvent(bad, state, now), FeedProtocolError, bad.data)
    assert.deepEqual(state.size, { sessions: 0, users: 0 })
  })
})
