/**
 * The server secret: the root from which the keys that encrypt signing keys and tag refresh tokens are
 * derived. Configured through TESSERA_SECRET, or generated on first start into `<dataDir>/secret` (SPEC §2).
 *
 * The file's text *is* the secret, byte for byte, so an operator can copy it into TESSERA_SECRET when a
 * second instance joins and every instance derives the same keys.
 */
import { randomBytes as cryptoRandomBytes, randomUUID } from 'node:crypto'
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '../config/config-error.ts'
import { redactedValue } from '../config/render-setting-value.ts'
import { SecretFileError } from './secret-file-error.ts'

export const minimumSecretBytes = 32
const generatedSecretBytes = 32
const maximumSecretFileBytes = 4096
const secretFileName = 'secret'

export interface LoadServerSecretOptions {
  /** `config.secret` (TESSERA_SECRET); undefined to use or create the data dir's secret file. */
  readonly configured: string | undefined
  readonly dataDir: string
  /** Called once when the secret comes from the data dir, which must then be backed up. */
  readonly warn: (message: string) => void
  /** Source of the generated secret; crypto.randomBytes unless a test injects one. */
  readonly randomBytes?: (size: number) => Buffer
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error ? String(error.code) : undefined
}

function withoutFinalNewline(bytes: Buffer): Buffer {
  // Editors and `echo` add a final newline; it is not part of the secret someone copies into TESSERA_SECRET.
  let end = bytes.length
  if (bytes[end - 1] === 0x0a) end -= 1
  if (bytes[end - 1] === 0x0d) end -= 1
  return bytes.subarray(0, end)
}

function readSecretFile(path: string): Buffer | undefined {
  let descriptor: number
  try {
    descriptor = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined
    throw new SecretFileError('unreadable', path, { cause: error })
  }
  try {
    const stats = fstatSync(descriptor)
    if (!stats.isFile()) throw new SecretFileError('not_regular_file', path)
    // Anyone who can read the secret can decrypt every signing key; POSIX modes mean nothing on Windows.
    if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0)
      throw new SecretFileError('too_open', path)
    if (stats.size > maximumSecretFileBytes) throw new SecretFileError('too_large', path)
    const secret = withoutFinalNewline(readFileSync(descriptor))
    if (secret.length < minimumSecretBytes) throw new SecretFileError('too_short', path)
    return secret
  } finally {
    closeSync(descriptor)
  }
}

function writeDurably(path: string, text: string): void {
  const descriptor = openSync(path, 'wx', 0o600)
  try {
    writeSync(descriptor, text)
    fsyncSync(descriptor)
  } finally {
    closeSync(descriptor)
  }
}

function syncDirectory(path: string): void {
  // Losing the secret after a crash would orphan every stored signing key, so persist the new entry too.
  try {
    const descriptor = openSync(path, constants.O_RDONLY)
    try {
      fsyncSync(descriptor)
    } finally {
      closeSync(descriptor)
    }
  } catch {
    // Some platforms cannot fsync a directory; the file itself is already synced.
  }
}

/** Creates the secret file unless it exists; false when another process created it first. */
function createSecretFile(path: string, secretText: string): boolean {
  // Written completely under a private name, then hard-linked into place: link() fails with EEXIST
  // atomically, so racing instances agree on one winner and nobody ever reads a half-written file.
  const temporaryPath = `${path}.${process.pid}.${randomUUID()}.tmp`
  writeDurably(temporaryPath, secretText)
  try {
    linkSync(temporaryPath, path)
    return true
  } catch (error) {
    const code = errorCode(error)
    if (code === 'EEXIST') return false
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error
  } finally {
    unlinkSync(temporaryPath)
  }
  // The file system has no hard links: exclusive create decides the race instead.
  try {
    writeDurably(path, secretText)
    return true
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false
    throw error
  }
}

/**
 * Returns the server secret as bytes: the configured one (at least 32 bytes of UTF-8), else the content of
 * `<dataDir>/secret`, which is created on first use with 32 random bytes (base64url) and mode 0600.
 *
 * @example
 * const secret = loadServerSecret({ configured: config.secret, dataDir: config.dataDir, warn: (m) => logger.warn(m) })
 */
export function loadServerSecret(options: LoadServerSecretOptions): Buffer {
  if (options.configured !== undefined) {
    const configured = Buffer.from(options.configured, 'utf8')
    if (configured.length < minimumSecretBytes) {
      throw new ConfigError([
        {
          setting: 'secret',
          envName: 'TESSERA_SECRET',
          value: redactedValue,
          problem: 'it is too short',
          expected: `at least ${minimumSecretBytes} bytes of UTF-8 text`,
        },
      ])
    }
    return configured
  }
  const path = join(options.dataDir, secretFileName)
  const existing = readSecretFile(path)
  if (existing !== undefined) {
    options.warn(
      `Using the generated server secret in ${path}. Back it up, and set TESSERA_SECRET to its content ` +
        'when several instances share a database.',
    )
    return existing
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 })
  const random = options.randomBytes ?? cryptoRandomBytes
  const created = createSecretFile(path, random(generatedSecretBytes).toString('base64url'))
  if (created) syncDirectory(options.dataDir)
  const secret = readSecretFile(path)
  if (secret === undefined) throw new SecretFileError('unreadable', path)
  options.warn(
    `${created ? 'Generated a new' : 'Using the just generated'} server secret in ${path}. Back it up: without it ` +
      'the stored signing keys cannot be decrypted. Set TESSERA_SECRET to its content when several instances ' +
      'share a database.',
  )
  return secret
}
