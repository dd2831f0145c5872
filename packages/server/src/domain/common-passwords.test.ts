import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { COMMON_PASSWORDS_FILE, loadCommonPasswords } from './common-passwords.ts'

const scratch = mkdtempSync(join(tmpdir(), 'tessera-common-passwords-'))
after(() => rmSync(scratch, { recursive: true, force: true }))

describe('the bundled common-password list', () => {
  test('holds at least 10,000 lower-case entries of 8 to 1024 characters, one per line', () => {
    const lines = readFileSync(COMMON_PASSWORDS_FILE, 'utf8').split('\n')
    assert.equal(lines.pop(), '', 'ends with a newline')
    assert.ok(lines.length >= 10_000, `${lines.length} entries`)
    assert.equal(new Set(lines).size, lines.length, 'no duplicates')
    for (const line of lines) {
      const length = [...line].length
      assert.ok(length >= 8 && length <= 1024, `an entry of ${length} characters`)
      assert.equal(line, line.toLowerCase())
    }
    assert.equal(loadCommonPasswords().size, lines.length)
  })

  test('finds listed passwords whatever their case, and nothing else', () => {
    const common = loadCommonPasswords()
    for (const listed of [
      'password',
      'password1',
      'PASSWORD1',
      'Password123',
      'qwertyuiop',
      'iloveyou',
      'trustno1',
    ]) {
      assert.equal(common.includes(listed), true, listed)
    }
    for (const unlisted of ['correct horse battery staple', 'password1 ', ' password1', 'pässword1', '']) {
      assert.equal(common.includes(unlisted), false, JSON.stringify(unlisted))
    }
  })

  test('is read once per process: every call returns the same list', () => {
    assert.equal(loadCommonPasswords(), loadCommonPasswords(COMMON_PASSWORDS_FILE))
  })
})

describe('loadCommonPasswords on other files', () => {
  test('accepts CRLF line ends and folds the file to lower case', () => {
    const file = join(scratch, 'crlf.txt')
    writeFileSync(file, 'Sunshine99\r\nletmein42\r\n')
    const list = loadCommonPasswords(file)
    assert.equal(list.size, 2)
    assert.equal(list.includes('sunshine99'), true)
    assert.equal(list.includes('LETMEIN42'), true)
    assert.equal(list.includes('letmein42\r'), false)
  })

  test('a missing or empty file throws instead of accepting every password', () => {
    assert.throws(
      () => loadCommonPasswords(join(scratch, 'absent.txt')),
      /cannot read the common-password list/,
    )
    const empty = join(scratch, 'empty.txt')
    writeFileSync(empty, '\n\n')
    assert.throws(() => loadCommonPasswords(empty), /is empty/)
  })
})
