#!/usr/bin/env node
// Finds every *.test.ts under packages/*/src and test/ and runs them with node's test runner through tsx.
// Node 20's --test does not expand globs, so the list is built here. Extra arguments narrow the run:
// `npm run test:unit -- refresh` runs only files whose path contains "refresh".
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const roots = [
  join(root, 'test'),
  ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'src')),
]

function collect(dir, out) {
  let entries
  try {
    entries = readdirSync(dir)
  } catch {
    return out
  }
  for (const name of entries) {
    if (name === 'node_modules') continue
    const full = join(dir, name)
    if (statSync(full).isDirectory()) collect(full, out)
    else if (name.endsWith('.test.ts')) out.push(full)
  }
  return out
}

const filters = process.argv.slice(2)
const files = roots
  .flatMap((dir) => collect(dir, []))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((needle) => f.includes(needle)))
  .sort()

if (files.length === 0) {
  console.error('run-tests: no test files matched')
  process.exit(1)
}

// A test that hangs fails after five minutes with its name, rather than holding CI until its hard limit.
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=300000',
    '--test-reporter=spec',
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
)
process.exit(result.status ?? 1)
