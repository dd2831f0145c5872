import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { type AdapterUnderTest, describeAuth, runAdapterSuite } from './adapter-suite.ts'
import { runDpopSuite } from './dpop-suite.ts'

const adapter: AdapterUnderTest = {
  name: 'Fastify',
  parsesJsonBody: true,
  async start(guard, routes) {
    const app = Fastify()
    for (const route of routes) {
      app.route({
        method: route.method,
        url: route.path,
        preHandler: guard.fastify(route.options),
        handler: async (request) => describeAuth(request.auth),
      })
    }
    await app.listen({ port: 0, host: '127.0.0.1' })
    return {
      url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
      close: () => app.close(),
    }
  },
}

runAdapterSuite(adapter)
runDpopSuite(adapter)
