import type { FastifyInstance, RouteOptions } from 'fastify'
import type { AppContext } from '../app-context.ts'
import { ProblemSchema } from './schemas.ts'

interface RouteSchema {
  readonly summary?: string
  readonly body?: Record<string, unknown>
  readonly querystring?: {
    readonly properties?: Record<string, unknown>
    readonly required?: readonly string[]
  }
  readonly params?: { readonly properties?: Record<string, unknown> }
  readonly response?: Record<string, unknown>
}

type Operation = Record<string, unknown>

function parametersOf(schema: RouteSchema): Record<string, unknown>[] {
  const query = Object.entries(schema.querystring?.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: schema.querystring?.required?.includes(name) ?? false,
    schema: s,
  }))
  const path = Object.entries(schema.params?.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'path',
    required: true,
    schema: s,
  }))
  return [...path, ...query]
}

function operationOf(schema: RouteSchema): Operation {
  const responses: Record<string, unknown> = {}
  for (const [status, body] of Object.entries(schema.response ?? {})) {
    responses[status] = { description: 'success', content: { 'application/json': { schema: body } } }
  }
  if (Object.keys(responses).length === 0) responses['2XX'] = { description: 'success' }
  responses.default = {
    description: 'a SPEC §4 problem',
    content: { 'application/json': { schema: ProblemSchema } },
  }
  const parameters = parametersOf(schema)
  return {
    ...(schema.summary === undefined ? {} : { summary: schema.summary }),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(schema.body === undefined
      ? {}
      : { requestBody: { required: true, content: { 'application/json': { schema: schema.body } } } }),
    responses,
  }
}

/**
 * Collects every route registered after this call and serves an OpenAPI 3.1 document built from the same
 * TypeBox schemas that validate requests, so the document cannot drift from the behaviour.
 *
 * @example
 * const publish = collectOpenApi(app); registerRoutes(app); publish(ctx)
 */
export function collectOpenApi(app: FastifyInstance): (ctx: AppContext) => void {
  const paths: Record<string, Record<string, Operation>> = {}
  app.addHook('onRoute', (route: RouteOptions) => {
    // Hosted pages and their assets are HTML for people, not API: `config: { openapi: false }` leaves them out.
    if ((route.config as { openapi?: unknown } | undefined)?.openapi === false) return
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const url = route.url.replace(/:(\w+)/g, '{$1}')
    for (const method of methods) {
      if (method === 'HEAD' || method === 'OPTIONS') continue
      const operations = paths[url] ?? {}
      operations[method.toLowerCase()] = operationOf((route.schema ?? {}) as RouteSchema)
      paths[url] = operations
    }
  })
  return (ctx) => {
    const document = JSON.stringify({
      openapi: '3.1.0',
      info: { title: 'Tessera auth server', version: '0.1.0' },
      servers: [{ url: ctx.config.issuer }],
      paths,
    })
    app.get('/openapi.json', async (_request, reply) => reply.type('application/json').send(document))
  }
}
