import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { escapeHtml, html } from './html.ts'

describe('html', () => {
  test('escapes every interpolated string, keeps nested fragments', () => {
    const name = '"><script>alert(1)</script>'
    const item = html`<li>${name}</li>`
    const page = html`<p title="${name}">${name}</p><ul>${[item]}</ul>${undefined}${false}${0}`
    assert.equal(
      page.toString(),
      '<p title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>' +
        '<ul><li>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</li></ul>0',
    )
  })

  test('escapeHtml covers quotes and backticks', () => {
    assert.equal(escapeHtml(`&<>"'\``), '&amp;&lt;&gt;&quot;&#39;&#96;')
  })
})
