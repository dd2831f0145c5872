import assert from 'node:assert/strict'
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { ConfigError } from '../config/config-error.ts'
import { SecretFileError } from './secret-file-error.ts'
import { loadServerSecret } from './server-secret.ts'

const roots: string[] = []
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-secret-'))
  roots.push(dir)
  return dir
}

function collectWarnings(): { warn: (message: string) => void; messages: string[] } {
  const messages: string[] = []
  return { warn: (message) => messages.push(message), messages }
}

const fixedRandom = (size: number): Buffer => Buffer.alloc(size, 7)
const isPosix = process.platform !== 'win32'

describe('loadServerSecret with TESSERA_SECRET', () => {
  test('uses the configured secret as UTF-8 bytes and touches no file', () => {
    const dataDir = join(freshDir(), 'data')
    const warnings = collectWarnings()
    const configured = 'correct horse battery staple 1234'
    const secret = loadServerSecret({ configured, dataDir, warn: warnings.warn })
    assert.deepEqual(secret, Buffer.from(configured, 'utf8'))
    assert.deepEqual(warnings.messages, [])
    assert.throws(() => statSync(dataDir), { code: 'ENOENT' })
  })

  test('a configured secret under 32 bytes is a ConfigError that does not repeat it', () => {
    const configured = 'short-but-secret'
    assert.throws(
      () => loadServerSecret({ configured, dataDir: freshDir(), warn: () => {} }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError)
        assert.match(error.message, /secret \(TESSERA_SECRET\): got \[redacted\].*at least 32 bytes/)
        assert.ok(!error.message.includes(configured))
        return true
      },
    )
  })
})

describe('loadServerSecret without TESSERA_SECRET', () => {
  test('generates a private secret file on first start, warns once, and reads it back later', () => {
    const dataDir = join(freshDir(), 'nested', 'data')
    const first = collectWarnings()
    const secret = loadServerSecret({
      configured: undefined,
      dataDir,
      warn: first.warn,
      randomBytes: fixedRandom,
    })
    const fileText = readFileSync(join(dataDir, 'secret'), 'utf8')
    assert.equal(fileText, Buffer.alloc(32, 7).toString('base64url'))
    assert.deepEqual(
      secret,
      Buffer.from(fileText, 'utf8'),
      'the file text is the secret, as TESSERA_SECRET would be',
    )
    assert.equal(first.messages.length, 1)
    assert.match(
      first.messages[0] ?? '',
      /Generated a new server secret in .*secret\. Back it up.*TESSERA_SECRET/,
    )
    assert.ok(!first.messages[0]?.includes(fileText))
    assert.deepEqual(readdirSync(dataDir), ['secret'], 'no temporary file is left behind')
    if (isPosix) {
      assert.equal(statSync(join(dataDir, 'secret')).mode & 0o777, 0o600)
      assert.equal(statSync(dataDir).mode & 0o777, 0o700)
    }

    const second = collectWarnings()
    const again = loadServerSecret({
      configured: undefined,
      dataDir,
      warn: second.warn,
      randomBytes: () => assert.fail(),
    })
    assert.deepEqual(again, secret)
    assert.equal(second.messages.length, 1)
    assert.match(second.messages[0] ?? '', /Using the generated server secret/)
    assert.deepEqual(loadServerSecret({ configured: fileText, dataDir: freshDir(), warn: () => {} }), secret)
  })

  test('when another instance creates the file first, its secret wins', () => {
    const dataDir = freshDir()
    const winner = 'w'.repeat(43)
    const racingRandom = (size: number): Buffer => {
      // The other instance links its file into place between our read and our create.
      writeFileSync(join(dataDir, 'secret'), winner, { mode: 0o600, flag: 'wx' })
      return Buffer.alloc(size, 1)
    }
    const warnings = collectWarnings()
    const secret = loadServerSecret({
      configured: undefined,
      dataDir,
      warn: warnings.warn,
      randomBytes: racingRandom,
    })
    assert.equal(secret.toString('utf8'), winner)
    assert.equal(warnings.messages.length, 1)
    assert.deepEqual(readdirSync(dataDir), ['secret'])
  })

  test('a final newline added by an editor is not part of the secret', () => {
    const dataDir = freshDir()
    writeFileSync(join(dataDir, 'secret'), `${'k'.repeat(40)}\r\n`, { mode: 0o600 })
    const secret = loadServerSecret({ configured: undefined, dataDir, warn: () => {} })
    assert.equal(secret.toString('utf8'), 'k'.repeat(40))
  })

  test('refuses a secret file that other users can read, telling how to fix it', { skip: !isPosix }, () => {
    const dataDir = freshDir()
    const path = join(dataDir, 'secret')
    writeFileSync(path, 'g'.repeat(43), { mode: 0o600 })
    chmodSync(path, 0o640)
    assert.throws(
      () => loadServerSecret({ configured: undefined, dataDir, warn: () => {} }),
      (error: unknown) => {
        assert.ok(error instanceof SecretFileError)
        assert.equal(error.problem, 'too_open')
        assert.ok(error.message.includes(`chmod 600 ${path}`))
        assert.ok(!error.message.includes('g'.repeat(43)))
        return true
      },
    )
  })

  test('refuses a directory, a short file and a huge file in place of the secret', () => {
    const cases: Array<[string, (path: string) => void]> = [
      ['not_regular_file', (path) => mkdirSync(path, { mode: 0o700 })],
      ['too_short', (path) => writeFileSync(path, 'x'.repeat(31), { mode: 0o600 })],
      ['too_large', (path) => writeFileSync(path, 'x'.repeat(5000), { mode: 0o600 })],
    ]
    for (const [problem, plant] of cases) {
      const dataDir = freshDir()
      plant(join(dataDir, 'secret'))
      assert.throws(
        () => loadServerSecret({ configured: undefined, dataDir, warn: () => {} }),
        (error: unknown) => error instanceof SecretFileError && error.problem === problem,
        problem,
      )
    }
  })
})
