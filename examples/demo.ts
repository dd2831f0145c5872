/**
 * `npm run demo`: the auth server (SQLite in ./data-demo), the Express example API and the example web page,
 * together on loopback, and where to click. Ctrl-C stops all three.
 */
import { resolve } from 'node:path'
import { cryptoRandom } from '@tessera/core'
import { loadConfig } from '../packages/server/src/config/load-config.ts'
import { registerClient } from '../packages/server/src/domain/service-clients.ts'
import { createLogger } from '../packages/server/src/logging/create-logger.ts'
import { startServer } from '../packages/server/src/server.ts'
import { startExpressExample } from './express-api.ts'
import { startExampleWeb } from './web-server.ts'

const AUTH_PORT = Number(process.env.DEMO_AUTH_PORT ?? 8080)
const API_PORT = Number(process.env.DEMO_API_PORT ?? 8081)
const WEB_PORT = Number(process.env.DEMO_WEB_PORT ?? 8082)
const issuer = `http://127.0.0.1:${AUTH_PORT}`
const webOrigin = `http://127.0.0.1:${WEB_PORT}`

const config = loadConfig({
  env: {
    TESSERA_HOST: '127.0.0.1',
    TESSERA_PORT: String(AUTH_PORT),
    TESSERA_ISSUER: issuer,
    TESSERA_DATA_DIR: resolve(process.env.DEMO_DATA_DIR ?? 'data-demo'),
    TESSERA_ALLOWED_ORIGINS: webOrigin,
    TESSERA_ACCESS_TOKEN_AUDIENCES: 'orders-api',
    TESSERA_ACCESS_TOKEN_DEFAULT_SCOPES: 'orders:read',
    TESSERA_LOG_LEVEL: 'warn',
  },
  cwd: process.cwd(),
})
const auth = await startServer(config, { logger: createLogger({ level: 'warn' }) })
const registered = await registerClient(
  { store: auth.services.store, clock: auth.services.clock, random: cryptoRandom },
  { name: 'demo orders-api', scopes: 'revocations:read tokens:consume' },
)
if (!registered.ok) throw new Error(registered.message)
const api = await startExpressExample({
  issuer,
  webOrigin,
  port: API_PORT,
  client: { id: registered.client.id, secret: registered.secret },
})
const web = await startExampleWeb({ issuer, api: api.url, port: WEB_PORT })

console.log(`
Tessera demo
  auth server  ${auth.url}        (hosted pages: ${auth.url}/signup, ${auth.url}/account)
  example API  ${api.url}/orders  (Express + @tessera/guard, scope orders:read)
  web page     ${web.url}/        (@tessera/client in cookie mode)

Create an account at ${auth.url}/signup, sign in on ${web.url}/ , then "Load orders".
Sign the device out at ${auth.url}/account and watch the page hear session_revoked.
Ctrl-C to stop.`)

const stop = async (): Promise<void> => {
  await web.close()
  await api.close()
  await auth.close()
  process.exit(0)
}
process.once('SIGINT', () => void stop())
process.once('SIGTERM', () => void stop())
