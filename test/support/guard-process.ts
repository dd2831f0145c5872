// A resource server in its own OS process, protected by @tessera/guard over node:http. Configured through
// env: ISSUER, AUDIENCE, and either CLIENT_ID + CLIENT_SECRET (the auth server's SSE feed) or REDIS_URL +
// REDIS_KEY_PREFIX (the Redis event stream); FAIL_MODE (closed|open), MAX_SILENCE_SECONDS and
// JWKS_COOLDOWN_SECONDS optionally. GET /_guard/health answers guard.health() without auth, for tests.
// Prints `listening <url>` once it answers.
import { createServer } from 'node:http'
import { createGuard, type GuardOptions, readAuth } from '@tessera/guard'

const env = process.env
const failMode = env.FAIL_MODE === 'open' ? 'open' : 'closed'
const options: GuardOptions = {
  issuer: env.ISSUER as string,
  audience: env.AUDIENCE as string,
  revocation: { failMode, maxSilenceSeconds: Number(env.MAX_SILENCE_SECONDS ?? 15) },
  ...(env.JWKS_COOLDOWN_SECONDS === undefined
    ? {}
    : { jwksCooldownSeconds: Number(env.JWKS_COOLDOWN_SECONDS) }),
  ...(env.CLIENT_ID === undefined
    ? {}
    : { client: { id: env.CLIENT_ID, secret: env.CLIENT_SECRET as string } }),
  ...(env.REDIS_URL === undefined
    ? {}
    : { redis: { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX ?? 'tessera:' } }),
}
const guard = createGuard(options)

const guarded = guard.node((request, response) => {
  const auth = readAuth(request)
  response.setHeader('content-type', 'application/json')
  response.end(JSON.stringify({ subject: auth.subject, sessionId: auth.sessionId }))
})

const server = createServer((request, response) => {
  if (request.url === '/_guard/health') {
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify(guard.health()))
    return
  }
  guarded(request, response)
})
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  if (typeof address === 'object' && address !== null)
    process.stdout.write(`listening http://127.0.0.1:${address.port}\n`)
})
process.on('SIGTERM', () => {
  void guard.close().finally(() => server.close(() => process.exit(0)))
})
