import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Clock, createManualClock, type ManualClock } from '@tessera/core'
import { loadConfig } from '../../packages/server/src/config/load-config.ts'
import { createLogger } from '../../packages/server/src/logging/create-logger.ts'
import { type RunningServer, startServer } from '../../packages/server/src/server.ts'

export const TEST_ORIGIN = 'https://app.example.test'

export interface TestServer {
  readonly url: string
  readonly dataDir: string
  readonly server: RunningServer
  readonly clock: ManualClock
  /** Stops the server; removes the data dir unless `keepData`. */
  close(options?: { keepData?: boolean }): Promise<void>
}

export interface TestServerOptions {
  /** Reuse a data dir (restart tests). */
  readonly dataDir?: string
  /** Extra TESSERA_* settings. */
  readonly env?: Record<string, string>
  /** Start time of the manual clock (epoch seconds). */
  readonly startAt?: number
  readonly clock?: Clock
  /**
   * Use the real listening URL as the issuer (guards derive every URL from it). A free port is found first,
   * then the server listens on it; otherwise the issuer is a fixed http://localhost:8080 on a random port.
   */
  readonly realIssuer?: boolean
  /** With `realIssuer`: listen on this port (chosen with `findFreePort` before other services need the URL). */
  readonly port?: number
  /** Capture the server's JSON log lines (at info level) instead of discarding them. */
  readonly logStream?: NodeJS.WritableStream
}

/**
 * Starts a real auth server on an ephemeral loopback port with a SQLite file in a fresh temp dir and a manual
 * clock, so tests can move time instead of sleeping.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tessera-test-'))
  const clock = createManualClock(options.startAt ?? Math.floor(Date.now() / 1000))
  const port = options.realIssuer ? (options.port ?? (await findFreePort())) : 0
  const config = loadConfig({
    env: {
      TESSERA_HOST: '127.0.0.1',
      TESSERA_PORT: String(port),
      TESSERA_DATA_DIR: dataDir,
      TESSERA_ISSUER: options.realIssuer ? `http://127.0.0.1:${port}` : 'http://localhost:8080',
      TESSERA_ALLOWED_ORIGINS: TEST_ORIGIN,
      TESSERA_LOG_LEVEL: 'silent',
      // Many signups from one loopback address; the limit itself is tested with its own setting.
      TESSERA_THROTTLE_SIGNUP_PER_IP_LIMIT: '10000',
      ...options.env,
    },
    cwd: dataDir,
  })
  const server = await startServer(config, {
    logger: options.logStream
      ? createLogger({ level: 'info', destination: options.logStream })
      : createLogger({ level: config.log.level }),
    clock: options.clock ?? clock,
  })
  return {
    url: server.url,
    dataDir,
    server,
    clock,
    close: async (closeOptions = {}) => {
      await server.close()
      if (!closeOptions.keepData && options.dataDir === undefined)
        rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Asks the OS for a free loopback port (closed again at once; the caller binds it right after). */
export async function findFreePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (typeof address !== 'object' || address === null) throw new Error('no port')
  return address.port
}

export interface JsonResponse {
  readonly status: number
  readonly headers: Headers
  readonly body: Record<string, unknown>
  readonly text: string
}

/**
 * A fetch that returns status, headers and the parsed JSON body (an empty object for an empty body).
 */
export async function call(
  base: string,
  path: string,
  init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...init.headers }
  let body: string | undefined
  if (init.rawBody !== undefined) body = init.rawBody
  else if (init.body !== undefined) {
    body = JSON.stringify(init.body)
    headers['content-type'] ??= 'application/json'
  }
  const method = init.method ?? (body === undefined ? 'GET' : 'POST')
  const response = await fetch(
    base + path,
    body === undefined ? { method, headers } : { method, headers, body },
  )
  const text = await response.text()
  let parsed: Record<string, unknown> = {}
  if (text !== '') {
    try {
      parsed = JSON.parse(text) as Record<string, unknown>
    } catch {
      parsed = { unparsed: text }
    }
  }
  return { status: response.status, headers: response.headers, body: parsed, text }
}

let counter = 0
/** A unique email per call, so tests in one server never collide. */
export function uniqueEmail(label = 'user'): string {
  counter += 1
  return `${label}-${process.pid}-${counter}@example.test`
}

export const PASSWORD = 'correct horse battery staple'

/** Signs up a fresh user in native mode; returns its tokens and ids. */
export async function signUp(
  base: string,
  email = uniqueEmail(),
  password = PASSWORD,
): Promise<{ email: string; accessToken: string; refreshToken: string; sessionId: string; userId: string }> {
  const response = await call(base, '/v1/signup', { body: { email, password } })
  if (response.status !== 201) throw new Error(`signup failed: ${response.status} ${response.text}`)
  const body = response.body as {
    access_token: string
    refresh_token: string
    session_id: string
    user: { id: string }
  }
  return {
    email,
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    sessionId: body.session_id,
    userId: body.user.id,
  }
}

/** Bearer header for an access token. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}
