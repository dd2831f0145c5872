/**
 * Regenerates packages/server/wordlists/common-passwords.txt, the list `passwords.rejectCommon` checks
 * against, from one pinned npm package. Run once when the source changes; the server never downloads it.
 *
 *   node --import tsx scripts/generate-common-passwords.ts
 *
 * Source: `passwords.json` of @zxcvbn-ts/language-common 4.1.3 (MIT, notice in common-passwords.NOTICE.md):
 * the passwords of the Xato ten-million-credential corpus seen more than ten times, most frequent first,
 * lower-cased, non-ASCII dropped. `npm pack` checks the tarball against the registry's integrity hash, and
 * this script checks the file's SHA-256, so a republished or tampered package cannot slip in other data.
 *
 * Kept: entries of 8 to 1024 code points (the widest range `passwords.minLength`/`maxLength` allow; a
 * shorter entry could never be chosen anyway), lower-cased, first occurrence only, in frequency order.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const PACKAGE = '@zxcvbn-ts/language-common@4.1.3'
const TARBALL = 'zxcvbn-ts-language-common-4.1.3.tgz'
const FILE_IN_TARBALL = 'package/src/passwords.json'
const FILE_SHA256 = 'f422773d94d630f27e08b26d7017e847bb1feb2a84809340e9c0b0c47b33e3f1'
const MIN_CODE_POINTS = 8
const MAX_CODE_POINTS = 1024
const MIN_ENTRIES = 10_000

const outputPath = fileURLToPath(
  new URL('../packages/server/wordlists/common-passwords.txt', import.meta.url),
)

function parseEntries(json: string): string[] {
  const parsed: unknown = JSON.parse(json)
  if (!Array.isArray(parsed) || !parsed.every((entry) => typeof entry === 'string')) {
    throw new Error(`${FILE_IN_TARBALL} is not an array of strings`)
  }
  return parsed
}

function selectEntries(entries: readonly string[]): string[] {
  const seen = new Set<string>()
  for (const entry of entries) {
    const folded = entry.normalize('NFC').toLowerCase()
    const length = [...folded].length
    // A line break inside an entry would split it into two lines of the output.
    if (length < MIN_CODE_POINTS || length > MAX_CODE_POINTS || /[\r\n]/.test(folded)) continue
    seen.add(folded)
  }
  return [...seen]
}

const scratch = mkdtempSync(join(tmpdir(), 'tessera-common-passwords-'))
try {
  execFileSync('npm', ['pack', PACKAGE, '--pack-destination', scratch, '--silent'], { stdio: 'inherit' })
  execFileSync('tar', ['-xzf', join(scratch, TARBALL), '-C', scratch, FILE_IN_TARBALL])
  const json = readFileSync(join(scratch, FILE_IN_TARBALL))
  const digest = createHash('sha256').update(json).digest('hex')
  if (digest !== FILE_SHA256)
    throw new Error(`${FILE_IN_TARBALL} has SHA-256 ${digest}, expected ${FILE_SHA256}`)
  const selected = selectEntries(parseEntries(json.toString('utf8')))
  if (selected.length < MIN_ENTRIES)
    throw new Error(`only ${selected.length} entries, expected ${MIN_ENTRIES}+`)
  writeFileSync(outputPath, `${selected.join('\n')}\n`)
  console.log(`${outputPath}: ${selected.length} entries`)
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
