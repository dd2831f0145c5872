import type { FastifyInstance } from 'fastify'

/** A parsed `application/x-www-form-urlencoded` body: one string per parameter, no prototype. */
export type FormParams = Readonly<Record<string, string>>

/** Most parameters in one body: OAuth requests carry a handful. */
const MAX_PARAMETERS = 32
const MAX_NAME_CHARS = 64
const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded'

/** A body that is not a strict form; `field` names the parameter at fault, or `body`. */
export class FormBodyError extends Error {
  readonly field: string
  constructor(field: string, message: string) {
    super(message)
    this.name = 'FormBodyError'
    this.field = field
  }
}

/**
 * Decodes one form-urlencoded component (WHATWG URL §5.1): `+` is a space, `%XX` a byte, and the bytes
 * must be UTF-8. Returns undefined for a stray `%` or invalid UTF-8, where URLSearchParams would silently
 * substitute characters.
 *
 * @example
 * decodeFormComponent('a+b%2Fc') // 'a b/c'
 */
export function decodeFormComponent(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '))
  } catch {
    return undefined
  }
}

/**
 * Parses a form body strictly: at most 32 parameters, each name at most 64 characters, no parameter
 * twice (RFC 6749 §3.1: "parameters MUST NOT be included more than once"), every component valid
 * percent-encoded UTF-8. A parameter without a value is treated as omitted (RFC 6749 §3.1).
 *
 * @example
 * parseFormBody('grant_type=client_credentials&scope=a+b') // { grant_type: 'client_credentials', scope: 'a b' }
 */
export function parseFormBody(text: string): FormParams {
  const params: Record<string, string> = Object.create(null) as Record<string, string>
  const seen = new Set<string>()
  if (text === '') return params
  const pairs = text.split('&')
  if (pairs.length > MAX_PARAMETERS) throw new FormBodyError('body', `at most ${MAX_PARAMETERS} parameters`)
  for (const pair of pairs) {
    if (pair === '') continue
    const equals = pair.indexOf('=')
    const name = decodeFormComponent(equals < 0 ? pair : pair.slice(0, equals))
    const value = decodeFormComponent(equals < 0 ? '' : pair.slice(equals + 1))
    if (name === undefined || value === undefined || name === '' || name.length > MAX_NAME_CHARS) {
      throw new FormBodyError('body', 'the form body is not valid application/x-www-form-urlencoded')
    }
    if (seen.has(name)) throw new FormBodyError(name, `parameter ${name} appears more than once`)
    seen.add(name)
    if (value !== '') params[name] = value
  }
  return params
}

/** `charset` may only be absent or UTF-8: the percent-decoding assumes it. */
function isUtf8ContentType(contentType: string | undefined): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1]
  return charset === undefined || charset.toLowerCase() === 'utf-8'
}

/**
 * Makes an encapsulated Fastify instance accept form bodies, and only form bodies (RFC 6749 §4.4.2,
 * RFC 7009 §2.1, RFC 7662 §2.1). Register it inside the plugin of the OAuth routes only: everywhere else
 * JSON stays the rule (SPEC §3). Errors surface as `FormBodyError`.
 *
 * @example
 * app.register(async (oauth) => { registerFormParser(oauth); oauth.post('/oauth/token', handler) })
 */
export function registerFormParser(instance: FastifyInstance): void {
  instance.removeAllContentTypeParsers()
  instance.addContentTypeParser(FORM_MEDIA_TYPE, { parseAs: 'string' }, (request, body, done) => {
    if (!isUtf8ContentType(request.headers['content-type'])) {
      done(new FormBodyError('content-type', 'the form body must be UTF-8'))
      return
    }
    try {
      done(null, parseFormBody(body as string))
    } catch (error) {
      done(error as Error)
    }
  })
}
