import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type AdapterUnderTest, describeAuth, runAdapterSuite } from './adapter-suite.ts'
import { runDpopSuite } from './dpop-suite.ts'

const adapter: AdapterUnderTest = {
  name: 'node:http',
  parsesJsonBody: false,
  async start(guard, routes) {
    const listeners = new Map(
      routes.map((route) => [
        `${route.method} ${route.path}`,
        guard.node((request, response) => {
          response.writeHead(200, { 'content-type': 'application/json' })
          response.end(JSON.stringify(describeAuth(request.auth)))
        }, route.options),
      ]),
    )
    const server = createServer((request, response) => {
      const path = (request.url ?? '').split('?')[0]
      const listener = listeners.get(`${request.method} ${path}`)
      if (listener === undefined) response.writeHead(404).end()
      else listener(request, response)
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: async () => {
        server.closeAllConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
      },
    }
  },
}

runAdapterSuite(adapter)
runDpopSuite(adapter)
