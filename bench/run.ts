/**
 * `npm run bench [-- filter…] [--time=MS]`: runs every `bench/*.bench.ts` (or those whose file name contains
 * a filter), prints one table per suite, then a JSON section on stdout, and writes the same JSON to
 * `bench/results/latest.json`. `--time` sets the measured milliseconds per case (default 2500).
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import {
  type BenchDefinition,
  defaultTiming,
  formatSuite,
  readBlackhole,
  runSuite,
  type SuiteResult,
} from './harness.ts'

const benchDirectory = new URL('./', import.meta.url)
const resultsDirectory = new URL('./results/', import.meta.url)

const args = process.argv.slice(2)
const timeArgument = args.find((arg) => arg.startsWith('--time='))
const measureMs =
  timeArgument === undefined ? defaultTiming.measureMs : Number(timeArgument.slice('--time='.length))
if (!Number.isFinite(measureMs) || measureMs <= 0) {
  console.error(`bench: --time must be a positive number of milliseconds, got ${timeArgument}`)
  process.exit(2)
}
const filters = args.filter((arg) => !arg.startsWith('--'))
const timing = { ...defaultTiming, measureMs }

const files = readdirSync(benchDirectory)
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort()
if (files.length === 0) {
  console.error('bench: no *.bench.ts file matched')
  process.exit(2)
}

const startedAt = new Date().toISOString()
const benches: { file: string; name: string; suites: SuiteResult[] }[] = []
for (const file of files) {
  const module = (await import(new URL(file, benchDirectory).href)) as { default: BenchDefinition }
  const definition = module.default
  console.log(`\n# ${definition.name} (${file})`)
  const suites: SuiteResult[] = []
  for (const suite of await definition.suites()) {
    const result = await runSuite(suite, timing)
    console.log(`\n${formatSuite(result)}`)
    suites.push(result)
  }
  benches.push({ file, name: definition.name, suites })
}

const report = {
  startedAt,
  finishedAt: new Date().toISOString(),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
  timing,
  benches,
}
const json = JSON.stringify(report, null, 2)
mkdirSync(resultsDirectory, { recursive: true })
writeFileSync(new URL('latest.json', resultsDirectory), `${json}\n`)
console.log('\n--- JSON (also in bench/results/latest.json) ---')
console.log(json)
void readBlackhole()
