// A resource server in its own OS process, protected by @tessera/guard over node:http. Configured through
// env: ISSUER, AUDIENCE, CLIENT_ID, CLIENT_SECRET. Prints `listening <url>` once it answers.
import { createServer } from 'node:http'
import { createGuard, readAuth } from '@tessera/guard'

const guard = createGuard({
  issuer: process.env.ISSUER as string,
  audience: process.env.AUDIENCE as string,
  client: { id: process.env.CLIENT_ID as string, secret: process.env.CLIENT_SECRET as string },
  revocation: { failMode: 'closed', maxSilenceSeconds: 15 },
})

const server = createServer(
  guard.node((request, response) => {
    const auth = readAuth(request)
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({ subject: auth.subject, sessionId: auth.sessionId }))
  }),
)
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  if (typeof address === 'object' && address !== null)
    process.stdout.write(`listening http://127.0.0.1:${address.port}\n`)
})
process.on('SIGTERM', () => {
  void guard.close().finally(() => server.close(() => process.exit(0)))
})
