#!/usr/bin/env node
// Entry point for `npx tessera` and `npm start`: the sources are TypeScript, run through tsx's loader
// so that there is no build step between `npm install` and a running server.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../packages/server/src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
