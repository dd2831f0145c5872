import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { resolveReturnTo } from './return-to.ts'

const options = { issuer: 'https://auth.example.com', allowedOrigins: ['https://app.example.com'] }

describe('resolveReturnTo', () => {
  test('paths on the auth server and URLs on allowed origins are accepted', () => {
    assert.equal(resolveReturnTo('/account', options), 'https://auth.example.com/account')
    assert.equal(resolveReturnTo('/a?b=c#d', options), 'https://auth.example.com/a?b=c#d')
    assert.equal(
      resolveReturnTo('https://app.example.com/home?x=1', options),
      'https://app.example.com/home?x=1',
    )
    assert.equal(resolveReturnTo('https://auth.example.com/x', options), 'https://auth.example.com/x')
  })

  test('open redirects are refused in every spelling', () => {
    for (const hostile of [
      '//evil.example/',
      '/\\evil.example',
      '\\\\evil.example',
      '/\t/evil.example',
      ' //evil.example',
      '/%0a/evil.example'.replace('%0a', '\n'),
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'https://evil.example/',
      'https://app.example.com.evil.example/',
      'https://user:pass@app.example.com/',
      'https://app.example.com@evil.example/',
      'http://app.example.com/',
      'https://app.example.com:444/',
      'evil.example',
      '',
      `/${'a'.repeat(2048)}`,
    ]) {
      assert.equal(resolveReturnTo(hostile, options), undefined, JSON.stringify(hostile))
    }
  })
})
