import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { isReasonCode } from '@tessera/core'
import fc from 'fast-check'
import { createTestClient, type TestClient } from '../support/service-clients.ts'
import {
  bearer,
  call,
  type JsonResponse,
  PASSWORD,
  signUp,
  startTestServer,
  type TestServer,
  uniqueEmail,
} from '../support/test-server.ts'
import { isPrototypeClean } from './support/nothing-changed.ts'

// Seeded and bounded: a failure reproduces exactly, and the whole file stays well under a minute.
const seed = 0x7e55b0d

/**
 * Property-based fuzzing of every POST route of the auth server (packages/server/src/http/routes): arbitrary
 * JSON values, mutated valid bodies, raw non-JSON text and (for the RFC 6749 form endpoints) arbitrary form
 * fields. Whatever arrives, the answer is never a 5xx, and every refusal is a JSON error whose `reason` is a
 * SPEC §4 code.
 */
describe('fuzzing the JSON bodies of the auth server', () => {
  let t: TestServer
  let client: TestClient
  let users: Users

  before(async () => {
    t = await startTestServer({
      env: {
        TESSERA_THROTTLE_LOGIN_PER_IP_LIMIT: '1000000',
        TESSERA_THROTTLE_LOGIN_PER_ACCOUNT_LIMIT: '1000000',
      },
    })
    client = await createTestClient(
      t,
      'tokens:mint tokens:consume tokens:introspect revocations:read reports:read',
    )
    users = await signUpUsers()
  })
  after(() => t.close())

  type Users = Record<'login' | 'refresh' | 'logout' | 'password', Awaited<ReturnType<typeof signUp>>>
  const signUpUsers = async (): Promise<Users> => ({
    login: await signUp(t.url),
    refresh: await signUp(t.url),
    logout: await signUp(t.url),
    password: await signUp(t.url),
  })

  interface Endpoint {
    readonly path: string
    readonly headers: (users: Users) => Record<string, string>
    /** A body the route accepts (the first time, for these users), and its success status. */
    readonly valid: (users: Users) => Record<string, unknown>
    readonly okStatus: number
    /** RFC 6749 endpoints: the body is a form, JSON is refused with 415. */
    readonly form?: boolean
  }
  const endpoints: readonly Endpoint[] = [
    {
      path: '/v1/signup',
      headers: () => ({}),
      valid: () => ({ email: uniqueEmail('fuzz'), password: PASSWORD, name: 'Fuzz' }),
      okStatus: 201,
    },
    {
      path: '/v1/login',
      headers: () => ({}),
      valid: (u) => ({ email: u.login.email, password: PASSWORD }),
      okStatus: 200,
    },
    {
      path: '/v1/refresh',
      headers: () => ({}),
      valid: (u) => ({ refresh_token: u.refresh.refreshToken }),
      okStatus: 200,
    },
    {
      path: '/v1/logout',
      headers: () => ({}),
      valid: (u) => ({ refresh_token: u.logout.refreshToken }),
      okStatus: 204,
    },
    {
      path: '/v1/password',
      headers: (u) => bearer(u.password.accessToken),
      valid: () => ({ current_password: PASSWORD, new_password: 'another long passphrase' }),
      okStatus: 204,
    },
    {
      path: '/v1/tokens',
      headers: () => client.headers,
      valid: () => ({ tokens: [{ sub: 'svc-fuzz', aud: 'orders-api', scope: 'reports:read', ttl: 60 }] }),
      okStatus: 200,
    },
    {
      path: '/v1/token-uses',
      headers: () => client.headers,
      valid: () => ({
        iss: 'http://localhost:8080',
        jti: 'fuzz-jti',
        exp: t.clock.nowSeconds() + 60,
        max_uses: 3,
      }),
      okStatus: 200,
    },
    {
      path: '/v1/oidc/none/link',
      headers: (u) => bearer(u.password.accessToken),
      valid: () => ({ return_to: '/account' }),
      // No OIDC provider is configured: the route exists, and answers 404 naming the provider.
      okStatus: 404,
    },
    {
      path: '/oauth/token',
      headers: () => client.headers,
      valid: () => ({ grant_type: 'client_credentials', scope: 'reports:read' }),
      okStatus: 200,
      form: true,
    },
    {
      path: '/oauth/revoke',
      headers: () => client.headers,
      valid: (u) => ({ token: u.logout.refreshToken, token_type_hint: 'refresh_token' }),
      okStatus: 200,
      form: true,
    },
    {
      path: '/oauth/introspect',
      headers: () => client.headers,
      valid: (u) => ({ token: u.login.accessToken }),
      okStatus: 200,
      form: true,
    },
  ]

  async function post(
    endpoint: Endpoint,
    rawBody: string,
    contentType = 'application/json',
    as: Users = users,
  ): Promise<JsonResponse> {
    return call(t.url, endpoint.path, {
      method: 'POST',
      rawBody,
      headers: { ...endpoint.headers(as), 'content-type': contentType },
    })
  }

  const formOf = (body: Record<string, unknown>): string =>
    new URLSearchParams(
      Object.entries(body).map(([name, value]): [string, string] => [
        name,
        typeof value === 'string' ? value : JSON.stringify(value),
      ]),
    ).toString()

  // Control, first: every starting point is a request the route really accepts, so mutations start from
  // the success path and not from a refusal. Fresh users, so the fuzz's own users stay untouched.
  test('control: each valid body succeeds, as JSON or as a form', async () => {
    const fresh = await signUpUsers()
    for (const endpoint of endpoints) {
      const body = endpoint.valid(fresh)
      const response = endpoint.form
        ? await post(endpoint, formOf(body), 'application/x-www-form-urlencoded', fresh)
        : await post(endpoint, JSON.stringify(body), 'application/json', fresh)
      assert.equal(response.status, endpoint.okStatus, `${endpoint.path}: ${response.text}`)
    }
  })

  /** Never a 5xx; a refusal is JSON with a SPEC §4 reason. Throws with the evidence, so fast-check shrinks it. */
  function assertSafe(response: JsonResponse, sent: string): void {
    const evidence = `${response.status} ${response.text.slice(0, 200)} ← ${sent.slice(0, 200)}`
    assert.ok(response.status < 500, evidence)
    if (response.status < 400) return
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/, evidence)
    assert.ok(isReasonCode(response.body.reason), evidence)
    assert.equal(typeof response.body.error, 'string', evidence)
  }

  // Strings that stress validators: controls, NUL, lone surrogates, look-alikes, huge and empty.
  const hostileString = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '\ud800',
      'İ',
      'a\u0301',
      '../../etc/passwd',
      "' OR 1=1--",
      'x'.repeat(5000),
    ),
  )
  const jsonValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostileString)

  type Mutation =
    | { readonly kind: 'delete'; readonly pick: number }
    | { readonly kind: 'replace'; readonly pick: number; readonly value: unknown }
    | { readonly kind: 'add'; readonly name: string; readonly value: unknown }
    | { readonly kind: 'duplicate'; readonly pick: number; readonly value: unknown }
    | { readonly kind: 'wrap'; readonly asArray: boolean }
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: jsonValue }),
    fc.record({
      kind: fc.constant('add' as const),
      name: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype')),
      value: jsonValue,
    }),
    fc.record({ kind: fc.constant('duplicate' as const), pick: fc.nat(), value: jsonValue }),
    fc.record({ kind: fc.constant('wrap' as const), asArray: fc.boolean() }),
  )

  // The mutated body as exact JSON text (a duplicate member cannot be expressed as an object).
  function mutate(valid: Record<string, unknown>, change: Mutation): string {
    const names = Object.keys(valid)
    const nameAt = (pick: number): string => names[pick % names.length] as string
    switch (change.kind) {
      case 'delete': {
        const { [nameAt(change.pick)]: _removed, ...rest } = valid
        return JSON.stringify(rest)
      }
      case 'replace':
        return JSON.stringify({ ...valid, [nameAt(change.pick)]: change.value })
      case 'add':
        return `${JSON.stringify(valid).slice(0, -1)},${JSON.stringify(change.name)}:${JSON.stringify(change.value)}}`
      case 'duplicate':
        return `{${JSON.stringify(nameAt(change.pick))}:${JSON.stringify(change.value)},${JSON.stringify(valid).slice(1)}`
      case 'wrap':
        return JSON.stringify(change.asArray ? [valid] : { body: valid })
    }
  }

  for (const endpoint of endpoints) {
    test(`POST ${endpoint.path}: arbitrary JSON values`, async () => {
      await fc.assert(
        fc.asyncProperty(jsonValue, async (value) => {
          const text = JSON.stringify(value) ?? 'null'
          assertSafe(await post(endpoint, text), text)
        }),
        { seed, numRuns: 40 },
      )
    })
  }

  for (const endpoint of endpoints.filter((candidate) => !candidate.form)) {
    test(`POST ${endpoint.path}: mutated valid bodies`, async () => {
      await fc.assert(
        fc.asyncProperty(mutation, async (change) => {
          const text = mutate(endpoint.valid(users), change)
          assertSafe(await post(endpoint, text), text)
        }),
        { seed, numRuns: 50 },
      )
    })
  }

  for (const endpoint of endpoints.filter((candidate) => candidate.form)) {
    test(`POST ${endpoint.path}: arbitrary and mutated form fields`, async () => {
      const fields = fc.oneof(
        fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40 }), {
          maxKeys: 5,
        }) as fc.Arbitrary<Record<string, unknown>>,
        mutation.map((change) => {
          const mutated = JSON.parse(mutate(endpoint.valid(users), change)) as unknown
          return Object.fromEntries(
            Object.entries(typeof mutated === 'object' && mutated !== null ? mutated : {}).map(
              ([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)],
            ),
          )
        }),
      )
      await fc.assert(
        fc.asyncProperty(fields, async (form) => {
          const text = formOf(form)
          assertSafe(await post(endpoint, text, 'application/x-www-form-urlencoded'), text)
        }),
        { seed, numRuns: 50 },
      )
    })
  }

  test('every route: raw text that is not JSON, deep nesting and oversized bodies', async () => {
    const rawText = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.nat({ max: 30_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
      fc.nat({ max: 5000 }).map((depth) => `{"email":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`),
      fc.constantFrom('', '\ufeff{}', '{"email":"a@b.c",}', `{"email":"${'a'.repeat(70_000)}"}`, 'null'),
    )
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), rawText, async (endpoint, text) => {
        assertSafe(await post(endpoint, text), text)
      }),
      { seed, numRuns: 150 },
    )
  })

  test('afterwards: no prototype polluted, and the server still answers', async () => {
    assert.equal(isPrototypeClean(), true)
    assert.equal((await call(t.url, '/healthz')).status, 200)
  })
})
