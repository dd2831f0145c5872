import { parseStrictJsonBytes } from '@tessera/core'

/** Why a call to the issuer produced no usable JSON. Never carries a library message or a response body. */
export class IssuerCallError extends Error {
  /** The HTTP status, when the issuer answered at all. */
  readonly status: number | undefined

  constructor(message: string, options: { readonly status?: number; readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'IssuerCallError'
    this.status = options.status
  }
}

export interface FetchJsonOptions {
  readonly method?: 'GET' | 'POST'
  readonly headers?: Readonly<Record<string, string>>
  /** Sent as `application/json`. */
  readonly body?: unknown
  readonly timeoutMs: number
  /** Largest accepted response body. */
  readonly maxBytes: number
  /** Aborts the call early (the guard closing). */
  readonly signal?: AbortSignal
}

const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/**
 * Calls the issuer and returns its JSON answer, parsed by core's strict parser (no duplicate members,
 * bounded depth). The whole call — connect, headers and body — has `timeoutMs`; a body over `maxBytes` is
 * abandoned as soon as it grows past it. Anything but a 200 with a JSON media type throws `IssuerCallError`.
 *
 * @example
 * const metadata = await fetchJson(metadataUrl, { timeoutMs: 5000, maxBytes: 1 << 20 })
 */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<unknown> {
  let response: Response
  const timeout = AbortSignal.timeout(options.timeoutMs)
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal])
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal,
    })
  } catch (error) {
    throw new IssuerCallError('The issuer could not be reached', { cause: error })
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined)
    throw new IssuerCallError('The issuer refused the call', { status: response.status })
  }
  if (!jsonMediaType.test(response.headers.get('content-type') ?? '')) {
    await response.body?.cancel().catch(() => undefined)
    throw new IssuerCallError('The issuer did not answer with JSON', { status: 200 })
  }
  const bytes = await readBounded(response, options.maxBytes)
  try {
    return parseStrictJsonBytes(bytes)
  } catch (error) {
    throw new IssuerCallError('The issuer answered with invalid JSON', { status: 200, cause: error })
  }
}

async function readBounded(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined)
    throw new IssuerCallError('The issuer answer is too large', { status: 200 })
  }
  const body = response.body
  if (body === null) return new Uint8Array(0)
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined)
        throw new IssuerCallError('The issuer answer is too large', { status: 200 })
      }
      chunks.push(value)
    }
  } catch (error) {
    if (error instanceof IssuerCallError) throw error
    throw new IssuerCallError('The issuer answer was cut off', { status: 200, cause: error })
  }
  return Buffer.concat(chunks, total)
}
