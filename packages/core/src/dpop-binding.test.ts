import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { computeDpopAth, normalizeDpopUrl } from './dpop-binding.ts'

describe('normalizeDpopUrl', () => {
  test('applies RFC 3986 §6.2.2–6.2.3 and drops query and fragment', () => {
    const cases: readonly (readonly [string, string])[] = [
      ['HTTPS://Example.COM:443/a?x=1#f', 'https://example.com/a'],
      ['http://example.com:80/a', 'http://example.com/a'],
      ['https://example.com:8443/a', 'https://example.com:8443/a'],
      ['https://example.com', 'https://example.com/'],
      ['https://example.com/a/./b/../c', 'https://example.com/a/c'],
      ['https://example.com/%7euser/%41/%2f/%c3%a9', 'https://example.com/~user/A/%2F/%C3%A9'],
      ['https://example.com/A/Path', 'https://example.com/A/Path'],
      ['https://[::1]:443/x', 'https://[::1]/x'],
      ['https://bücher.example/x', 'https://xn--bcher-kva.example/x'],
      ['https://User:Pw@example.com/x', 'https://User:Pw@example.com/x'],
    ]
    for (const [input, expected] of cases) assert.equal(normalizeDpopUrl(input), expected, input)
  })

  test('returns undefined for what is not an absolute http(s) URL', () => {
    for (const input of ['/a', 'example.com/a', 'ftp://example.com/', 'file:///etc/passwd', '', 'https://']) {
      assert.equal(normalizeDpopUrl(input), undefined, input)
    }
    for (const input of [' https://example.com/a', 'https://example.com/a\n', 'https://exa\tmple.com/a']) {
      assert.equal(normalizeDpopUrl(input), undefined, JSON.stringify(input))
    }
  })
})

describe('computeDpopAth', () => {
  test('matches the RFC 9449 §7.1 example', () => {
    assert.equal(
      computeDpopAth('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU'),
      'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo',
    )
  })
})
