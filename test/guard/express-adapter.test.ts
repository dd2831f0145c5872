import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { readAuth } from '@tessera/guard'
import express from 'express'
import { type AdapterUnderTest, describeAuth, runAdapterSuite } from './adapter-suite.ts'
import { runDpopSuite } from './dpop-suite.ts'

const adapter: AdapterUnderTest = {
  name: 'Express',
  parsesJsonBody: true,
  async start(guard, routes) {
    const app = express()
    app.use(express.json())
    for (const route of routes) {
      const guarded = guard.express(route.options)
      const handler = (request: express.Request, response: express.Response): void => {
        response.json(describeAuth(readAuth(request)))
      }
      if (route.method === 'GET') app.get(route.path, guarded, handler)
      else app.post(route.path, guarded, handler)
    }
    const server = app.listen(0, '127.0.0.1')
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
