import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, test } from 'node:test'
import { createLogger, redactedPaths, redactionCensor, requestSerializer } from './create-logger.ts'

function memoryStream(): {
  stream: Writable
  lines: () => Array<Record<string, unknown>>
  text: () => string
} {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString())
      done()
    },
  })
  const text = (): string => chunks.join('')
  const lines = (): Array<Record<string, unknown>> =>
    text()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  return { stream, lines, text }
}

// Each secret is unique so a leak names itself.
const secrets = {
  bearer: 'Bearer eyJ-access-token-in-header',
  cookie: '__Secure-tessera-rt=tsr_refresh-in-cookie',
  dpop: 'eyJ-dpop-proof',
  setCookie: '__Host-tessera-fgp=fingerprint-in-set-cookie',
  queryToken: 'access-token-in-query',
  password: 'password-in-body',
  newPassword: 'new-password-in-body',
  refreshToken: 'tsr_refresh-in-body',
  clientSecret: 'client-secret-in-form',
  deepSecret: 'secret-three-levels-down',
  camelRefresh: 'tsr_refresh-in-camel-case',
}

describe('createLogger', () => {
  test('writes JSON lines with level names', () => {
    const memory = memoryStream()
    const logger = createLogger({ level: 'info', destination: memory.stream })
    logger.debug('hidden')
    logger.warn({ sessionId: 's1' }, 'visible')
    const lines = memory.lines()
    assert.equal(lines.length, 1)
    assert.equal(lines[0]?.level, 'warn')
    assert.equal(lines[0]?.msg, 'visible')
    assert.equal(lines[0]?.sessionId, 's1')
  })

  test('a logged request shows method, path without query, address and user agent, and no credential', () => {
    const memory = memoryStream()
    const logger = createLogger({ level: 'info', destination: memory.stream })
    const request = {
      method: 'POST',
      url: `/v1/refresh?access_token=${secrets.queryToken}`,
      ip: '203.0.113.7',
      headers: {
        authorization: secrets.bearer,
        cookie: secrets.cookie,
        dpop: secrets.dpop,
        'x-tessera-csrf': '1',
        'user-agent': 'Mozilla/5.0 test',
      },
    }
    logger.info({ req: request }, 'request')
    const line = memory.lines()[0]
    assert.deepEqual(line?.req, {
      method: 'POST',
      path: '/v1/refresh',
      remoteAddress: '203.0.113.7',
      userAgent: 'Mozilla/5.0 test',
    })
    for (const secret of Object.values(secrets)) assert.ok(!memory.text().includes(secret), secret)
  })

  test('credential fields and headers are redacted wherever a careless call puts them', () => {
    const memory = memoryStream()
    const logger = createLogger({ level: 'info', destination: memory.stream })
    logger.info({
      password: secrets.password,
      body: { new_password: secrets.newPassword, refresh_token: secrets.refreshToken },
      form: { client: { client_secret: secrets.clientSecret } },
      a: { b: { c: { secret: secrets.deepSecret } } },
      session: { refreshToken: secrets.camelRefresh },
      request: { headers: { authorization: secrets.bearer, cookie: secrets.cookie, dpop: secrets.dpop } },
      res: { headers: { 'set-cookie': [secrets.setCookie], 'x-tessera-csrf': '1' } },
    })
    const text = memory.text()
    for (const secret of Object.values(secrets)) assert.ok(!text.includes(secret), secret)
    const line = memory.lines()[0] as { password: unknown; res: { headers: Record<string, unknown> } }
    assert.equal(line.password, redactionCensor)
    assert.equal(line.res.headers['set-cookie'], redactionCensor)
    assert.equal(
      line.res.headers['x-tessera-csrf'],
      '1',
      'the CSRF header carries no secret and stays visible',
    )
  })

  test('the raw headers of a request logged under req are redacted too', () => {
    const memory = memoryStream()
    const logger = createLogger({ level: 'info', destination: memory.stream }).child({})
    logger.info({ req: { raw: true }, headers: { authorization: secrets.bearer } })
    assert.ok(!memory.text().includes(secrets.bearer))
    assert.ok(redactedPaths.includes('req.headers.authorization'))
    assert.ok(!redactedPaths.some((path) => path.includes('x-tessera-csrf')))
  })
})

describe('requestSerializer', () => {
  test('takes the socket address when there is no ip, and cuts fragments and long fields', () => {
    const serialized = requestSerializer({
      method: 'GET',
      url: `/callback#code=abc`,
      socket: { remoteAddress: '::1' },
      headers: { 'user-agent': 'x'.repeat(1000) },
    })
    assert.equal(serialized.path, '/callback')
    assert.equal(serialized.remoteAddress, '::1')
    assert.equal(serialized.userAgent?.length, 513)
  })

  test('anything that is not a request yields empty fields, not an exception', () => {
    assert.deepEqual(requestSerializer(null), {
      method: undefined,
      path: undefined,
      remoteAddress: undefined,
      userAgent: undefined,
    })
    assert.equal(requestSerializer({ url: 42, headers: 'x' }).path, undefined)
  })
})
