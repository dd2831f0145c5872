/**
 * What the two example APIs share: their options from the environment, and the CORS headers that let the
 * example page (and only it) call them with its token and the fingerprint cookie.
 */
import type { ExampleApiOptions } from './express-api.ts'

/**
 * The example's options from `ISSUER`, `GUARD_CLIENT_ID`, `GUARD_CLIENT_SECRET`, `WEB_ORIGIN` and `PORT`.
 *
 * @example
 * const api = await startFastifyExample(exampleOptionsFromEnv(process.env))
 */
export function exampleOptionsFromEnv(env: NodeJS.ProcessEnv): ExampleApiOptions {
  const { ISSUER, GUARD_CLIENT_ID, GUARD_CLIENT_SECRET, WEB_ORIGIN, PORT } = env
  return {
    issuer: ISSUER ?? 'http://127.0.0.1:8080',
    webOrigin: WEB_ORIGIN ?? 'http://127.0.0.1:8082',
    port: Number(PORT ?? 8081),
    ...(GUARD_CLIENT_ID === undefined
      ? {}
      : { client: { id: GUARD_CLIENT_ID, secret: GUARD_CLIENT_SECRET ?? '' } }),
  }
}

/**
 * The CORS answer headers for a request from `origin`: credentialed, for the example page only; none for
 * anyone else.
 *
 * @example
 * for (const [name, value] of Object.entries(exampleCorsHeaders(request.headers.origin, webOrigin))) reply.header(name, value)
 */
export function exampleCorsHeaders(origin: string | undefined, webOrigin: string): Record<string, string> {
  if (origin !== webOrigin) return {}
  return {
    'access-control-allow-origin': webOrigin,
    'access-control-allow-credentials': 'true',
    'access-control-allow-headers': 'authorization',
    'access-control-expose-headers': 'www-authenticate',
    vary: 'Origin',
  }
}
