/**
 * Serves the example web page (examples/web) and the browser bundle of @tessera/client, with a strict CSP.
 * `/config.json` tells the page where the auth server and the example API are.
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildClientBundle } from '../packages/client/build.mjs'

const FILES: Readonly<Record<string, { readonly path: URL; readonly type: string }>> = {
  '/': { path: new URL('./web/index.html', import.meta.url), type: 'text/html; charset=utf-8' },
  '/app.js': { path: new URL('./web/app.js', import.meta.url), type: 'text/javascript; charset=utf-8' },
  '/app.css': { path: new URL('./web/app.css', import.meta.url), type: 'text/css; charset=utf-8' },
  '/tessera-client.js': {
    path: new URL('../packages/client/dist/tessera-client.js', import.meta.url),
    type: 'text/javascript; charset=utf-8',
  },
}

export interface ExampleWeb {
  readonly url: string
  close(): Promise<void>
}

/**
 * Builds the client bundle, then serves the page on 127.0.0.1.
 *
 * @example
 * const web = await startExampleWeb({ issuer: 'http://127.0.0.1:8080', api: 'http://127.0.0.1:8081', port: 8082 })
 */
export async function startExampleWeb(options: {
  readonly issuer: string
  readonly api: string
  readonly port?: number
}): Promise<ExampleWeb> {
  await buildClientBundle()
  const config = JSON.stringify({ issuer: options.issuer, api: options.api })
  const csp = `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ${options.issuer} ${options.api}; frame-ancestors 'none'; base-uri 'none'`
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/'
    response.setHeader('content-security-policy', csp)
    response.setHeader('x-content-type-options', 'nosniff')
    if (path === '/config.json') {
      response.setHeader('content-type', 'application/json')
      response.end(config)
      return
    }
    const file = FILES[path]
    if (file === undefined) {
      response.statusCode = 404
      response.end('not found')
      return
    }
    response.setHeader('content-type', file.type)
    response.setHeader('cache-control', 'no-cache')
    response.end(readFileSync(file.path))
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
