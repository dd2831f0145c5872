/**
 * Regenerates the options table in docs/configuration.md from the config schema and defaults.
 *
 *   node --import tsx scripts/generate-config-docs.ts          rewrite the table
 *   node --import tsx scripts/generate-config-docs.ts --check  exit 1 if the committed table is stale
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describeConfig } from '../packages/server/src/config/describe-config.ts'
import {
  renderConfigTable,
  replaceGeneratedSection,
} from '../packages/server/src/config/render-config-docs.ts'

const docsPath = fileURLToPath(new URL('../docs/configuration.md', import.meta.url))
const current = readFileSync(docsPath, 'utf8')
const generated = replaceGeneratedSection(current, renderConfigTable(describeConfig()))

if (process.argv.includes('--check')) {
  if (generated !== current) {
    console.error('docs/configuration.md is stale: run node --import tsx scripts/generate-config-docs.ts')
    process.exitCode = 1
  }
} else if (generated !== current) {
  writeFileSync(docsPath, generated)
  console.log('docs/configuration.md: options table regenerated')
} else {
  console.log('docs/configuration.md: options table already current')
}
