import assert from 'node:assert/strict'
import type { OutgoingHttpHeaders } from 'node:http'
import { Writable } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import { generateSigningKey, type ReasonCode } from '@tessera/core'
import { type RawResponse, send } from '../guard/guard-fixtures.ts'
import { bearer, call } from '../support/test-server.ts'
import { type AttackRig, ORDERS_SCOPE, observeRig, startAttackRig } from './support/attack-rig.ts'
import { type GuardedApp, startGuardedApps } from './support/guarded-apps.ts'
import { assertRefusalResponse } from './support/nothing-changed.ts'
import { withSegment } from './support/token-forge.ts'

/**
 * RFC 6750 §2–3 over real HTTP, through the Express, Fastify and node:http adapters: the token has one
 * accepted place (`Authorization: Bearer`, scheme case-insensitive per RFC 7235 §2.1); no credentials is a
 * 401 without an `error` attribute (§3.1); a second credential, a query or body token, or a broken header is
 * 400 `invalid_request`; and no response, header or log line ever carries the token or its signature.
 */
describe('attacks on how the token is transported', () => {
  const serverLog = captureStream()
  const fastifyLog = captureStream()
  let rig: AttackRig
  let apps: readonly GuardedApp[]
  before(async () => {
    rig = await startAttackRig({ logStream: serverLog.stream })
    apps = await startGuardedApps(rig.guard, fastifyLog.stream)
  })
  after(async () => {
    await Promise.all(apps.map((app) => app.close()))
    await rig.close()
  })

  const valid = (): string => rig.user.accessToken
  const forged = (): string =>
    rig.sign(rig.claims(), { ...generateSigningKey('EdDSA', 'x'), kid: rig.serverKey.kid })

  interface Request {
    readonly path?: string
    readonly method?: 'GET' | 'POST'
    readonly headers?: OutgoingHttpHeaders
    readonly json?: unknown
  }
  interface TransportCase {
    readonly name: string
    readonly request: () => Request
    /** A reason for a refusal, or `accepted`. */
    readonly outcome: ReasonCode | 'accepted'
    /** Only where the framework parsed the body before the guard. */
    readonly needsParsedBody?: boolean
  }
  const cases: readonly TransportCase[] = [
    {
      name: 'no credentials at all (RFC 6750 §3.1: no error attribute)',
      request: () => ({}),
      outcome: 'missing_token',
    },
    { name: 'a valid token (control)', request: () => ({ headers: bearer(valid()) }), outcome: 'accepted' },
    {
      name: 'the scheme in lower case ("bearer", RFC 7235 §2.1)',
      request: () => ({ headers: { authorization: `bearer ${valid()}` } }),
      outcome: 'accepted',
    },
    {
      name: 'the scheme in upper case ("BEARER")',
      request: () => ({ headers: { authorization: `BEARER ${valid()}` } }),
      outcome: 'accepted',
    },
    {
      name: 'a forged header token next to a cookie holding a valid one (the cookie is never a source)',
      request: () => ({ headers: { ...bearer(forged()), cookie: `access_token=${valid()}` } }),
      outcome: 'bad_signature',
    },
    {
      name: 'a valid token in a cookie only',
      request: () => ({ headers: { cookie: `access_token=${valid()}; __Host-tessera-at=${valid()}` } }),
      outcome: 'missing_token',
    },
    {
      name: 'two Authorization headers',
      // Capitalised: @types/node types a lower-case `authorization` as one string; node sends both lines.
      request: () => ({ headers: { Authorization: [`Bearer ${forged()}`, `Bearer ${valid()}`] } }),
      outcome: 'invalid_request',
    },
    {
      name: 'two credentials in one header ("Bearer a, Bearer b")',
      request: () => ({ headers: { authorization: `Bearer ${valid()}, Bearer ${forged()}` } }),
      outcome: 'invalid_request',
    },
    {
      name: 'the token in the query string (?access_token=, RFC 6750 §2.3)',
      request: () => ({ path: `/orders?access_token=${valid()}` }),
      outcome: 'invalid_request',
    },
    {
      name: 'a query token next to a valid header',
      request: () => ({ path: `/orders?access_token=${forged()}`, headers: bearer(valid()) }),
      outcome: 'invalid_request',
    },
    {
      name: 'a query token under a percent-encoded name (access%5Ftoken)',
      request: () => ({ path: `/orders?access%5Ftoken=${valid()}` }),
      outcome: 'invalid_request',
    },
    {
      name: 'the token in a JSON body next to a valid header (RFC 6750 §2.2)',
      request: () => ({ method: 'POST', headers: bearer(valid()), json: { access_token: forged() } }),
      outcome: 'invalid_request',
      needsParsedBody: true,
    },
    {
      name: 'two spaces after the scheme',
      request: () => ({ headers: { authorization: `Bearer  ${valid()}` } }),
      outcome: 'invalid_request',
    },
    {
      name: 'a tab after the scheme',
      request: () => ({ headers: { authorization: `Bearer\t${valid()}` } }),
      outcome: 'invalid_request',
    },
    {
      name: 'the Basic scheme',
      request: () => ({ headers: { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` } }),
      outcome: 'invalid_request',
    },
    {
      name: 'the scheme with no token',
      request: () => ({ headers: { authorization: 'Bearer' } }),
      outcome: 'invalid_request',
    },
    {
      name: 'the scheme with an empty token ("Bearer ")',
      request: () => ({ headers: { authorization: 'Bearer ' } }),
      outcome: 'invalid_request',
    },
    {
      name: 'a token followed by another word',
      request: () => ({ headers: { authorization: `Bearer ${valid()} extra` } }),
      outcome: 'invalid_request',
    },
    {
      name: 'a forged token (control for the refusal path)',
      request: () => ({ headers: bearer(forged()) }),
      outcome: 'bad_signature',
    },
  ]

  for (const adapter of ['express', 'fastify', 'node'] as const) {
    describe(`behind the ${adapter} adapter`, () => {
      const app = (): GuardedApp => apps.find((candidate) => candidate.adapter === adapter) as GuardedApp
      for (const { name, request, outcome, needsParsedBody } of cases) {
        if (needsParsedBody && adapter === 'node') continue
        test(`${name}: ${outcome}`, async () => {
          const before = observeRig(rig)
          const { path = '/orders', method = 'GET', headers = {}, json } = request()
          const response = await send(app().url, path, {
            method,
            headers,
            ...(json === undefined ? {} : { json }),
          })
          if (outcome === 'accepted') {
            assert.equal(response.status, 200, JSON.stringify(response.body))
            assert.equal(response.body.subject, rig.user.userId)
          } else {
            assertRefusalResponse(response, outcome, ORDERS_SCOPE)
          }
          assert.deepEqual(observeRig(rig), before)
        })
      }
    })
  }

  describe('the auth server’s own endpoints', () => {
    test('two Authorization lines at /v1/me: 400 invalid_request, the forged second one is not ignored', async () => {
      const before = observeRig(rig)
      const response = await send(rig.server.url, '/v1/me', {
        headers: { authorization: [`Bearer ${valid()}`, `Bearer ${forged()}`] as unknown as string },
      })
      assert.equal(response.status, 400, JSON.stringify(response.body))
      assert.equal(response.body.reason, 'invalid_request')
      assert.equal(response.body.field, 'authorization')
      assert.deepEqual(observeRig(rig), before)
    })

    test('one valid Authorization line at /v1/me is accepted (control)', async () => {
      const response = await send(rig.server.url, '/v1/me', { headers: bearer(valid()) })
      assert.equal(response.status, 200, JSON.stringify(response.body))
    })
  })

  describe('no response, header or log line carries the token or its signature', () => {
    const attackTokens = (): readonly { label: string; token: string }[] => {
      const token = valid()
      const flipped = withSegment(token, 2, `${token.split('.')[2]?.slice(0, -2)}AA`)
      return [
        { label: 'forged signature', token: forged() },
        { label: 'flipped signature', token: flipped },
        { label: 'wrong audience', token: rig.sign(rig.claims({ aud: 'billing-api' })) },
        {
          label: 'expired',
          token: rig.sign(
            rig.claims({ exp: rig.clock.nowSeconds() - 60, iat: rig.clock.nowSeconds() - 600 }),
          ),
        },
        { label: 'no scope', token: rig.sign(rig.claims({ scope: undefined })) },
        { label: 'too large', token: `${token}.${'A'.repeat(8192)}` },
        { label: 'malformed', token: token.replace('.', '..') },
      ]
    }
    const secretsOf = (token: string): string[] =>
      [token, token.split('.').at(-1) as string].filter((part) => part.length >= 16)

    test('across every adapter and the auth server, for every kind of refusal', async () => {
      fastifyLog.reset()
      serverLog.reset()
      const consoleOutput = captureConsole()
      const secrets: string[] = []
      const responses: RawResponse[] = []
      try {
        for (const { token } of attackTokens()) {
          secrets.push(...secretsOf(token))
          for (const app of apps) {
            responses.push(await send(app.url, '/orders', { headers: bearer(token) }))
            responses.push(await send(app.url, `/orders?access_token=${token}`))
          }
          const me = await call(rig.server.url, '/v1/me', { headers: bearer(token) })
          responses.push({
            status: me.status,
            headers: Object.fromEntries(me.headers),
            body: { text: me.text },
          })
          await call(rig.server.url, `/v1/me?access_token=${token}`)
        }
      } finally {
        consoleOutput.restore()
      }
      const unexpected = responses.filter((response) => response.status < 400 || response.status >= 500)
      // Named in the message: one CI run saw a non-4xx answer here after a 189 s stall, not reproduced since.
      assert.deepEqual(
        unexpected.map(({ status, body }) => ({ status, reason: body.reason ?? body.text })),
        [],
      )
      const answered = JSON.stringify(responses.map(({ headers, body }) => ({ headers, body })))
      const logs = { server: serverLog.text(), fastify: fastifyLog.text(), console: consoleOutput.text() }
      assert.ok(logs.server.includes('"path":"/v1/me"'), 'the auth server logged the requests')
      assert.ok(logs.fastify.includes('incoming request'), 'fastify logged the requests')
      for (const secret of secrets) {
        assert.equal(answered.includes(secret), false, 'a response carries a token or signature')
        assert.equal(logs.server.includes(secret), false, 'the auth server log carries a token or signature')
        assert.equal(logs.console.includes(secret), false, 'the console carries a token or signature')
        // Fastify itself logs the request URL, query included; with the token in the Authorization header
        // (the only place the guard accepts) nothing of it reaches the framework's log either.
        const headerOnly = fastifyLog
          .text()
          .split('\n')
          .filter((line) => !line.includes('access_token='))
        assert.equal(
          headerOnly.join('\n').includes(secret),
          false,
          'the fastify log carries a token or signature',
        )
      }
    })
  })
})

function captureStream(): { stream: Writable; text: () => string; reset: () => void } {
  let text = ''
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString()
      done()
    },
  })
  return {
    stream,
    text: () => text,
    reset: () => {
      text = ''
    },
  }
}

// Everything written through console.* while it is installed (the guard has no logger of its own; a
// console.error from it or a framework's default error handler would land here).
function captureConsole(): { text: () => string; restore: () => void } {
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const
  const originals = methods.map((method) => console[method])
  let text = ''
  for (const method of methods) {
    console[method] = (...args: unknown[]) => {
      text += `${args.map(String).join(' ')}\n`
    }
  }
  return {
    text: () => text,
    restore: () => {
      methods.forEach((method, index) => {
        console[method] = originals[index] as (typeof console)[typeof method]
      })
    },
  }
}
