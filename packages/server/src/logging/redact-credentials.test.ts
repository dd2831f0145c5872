import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { credentialFieldNames, redactCredentials, redactionCensor } from './redact-credentials.ts'

describe('redactCredentials', () => {
  test('blanks every credential name at each of the top four levels', () => {
    for (const name of credentialFieldNames) {
      const logged = { [name]: 'v1', a: { [name]: 'v2', b: { [name]: 'v3', c: { [name]: 'v4' } } } }
      assert.deepEqual(
        redactCredentials(logged),
        {
          [name]: redactionCensor,
          a: { [name]: redactionCensor, b: { [name]: redactionCensor, c: { [name]: redactionCensor } } },
        },
        name,
      )
    }
  })

  test('stops below the fourth level, which bounds the work per log line', () => {
    const logged = { a: { b: { c: { d: { password: 'too-deep' } } } } }
    assert.equal(redactCredentials(logged), logged)
  })

  test('looks into arrays and replaces a whole credential value, whatever its type', () => {
    const redacted = redactCredentials({
      tokens: [{ access_token: 'a' }, { note: 'kept' }],
      headers: { 'set-cookie': ['a=1', 'b=2'], 'content-type': 'application/json' },
    })
    assert.deepEqual(redacted, {
      tokens: [{ access_token: redactionCensor }, { note: 'kept' }],
      headers: { 'set-cookie': redactionCensor, 'content-type': 'application/json' },
    })
  })

  test('never mutates the caller’s object and shares untouched branches', () => {
    const untouched = { email: 'a@example.com' }
    const logged = { user: untouched, body: { password: 'hunter22' } }
    const redacted = redactCredentials(logged)
    assert.equal(logged.body.password, 'hunter22')
    assert.equal(redacted.user, untouched)
    assert.notEqual(redacted.body, logged.body)
  })

  test('keeps a __proto__ field an own field and leaves class instances alone', () => {
    const parsed = JSON.parse('{"__proto__": {"x": 1}, "password": "p"}') as Record<string, unknown>
    const redacted = redactCredentials(parsed)
    assert.deepEqual(Object.keys(redacted).sort(), ['__proto__', 'password'])
    assert.equal(Object.getPrototypeOf(redacted), Object.prototype)
    const error = Object.assign(new Error('boom'), { token: 'kept-for-the-err-serializer' })
    assert.equal(redactCredentials({ err: error }).err, error)
  })
})
