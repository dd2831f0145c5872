import type { SeenRequest } from './browser-like-fetch.ts'

/** The global fetch with a log of every request, and a switch to answer some paths with a failure. */
export interface RecordingFetch {
  readonly fetch: typeof fetch
  readonly requests: SeenRequest[]
  /** The JSON bodies the server answered, by path, in order (to read tokens off the wire in tests). */
  readonly answers: Array<{ readonly path: string; readonly status: number; readonly body: unknown }>
  /** How many requests went to this path. */
  count(path: string): number
  /** From now on, answer this path with this status (and no body), or throw a network error. */
  failPath(path: string, failure: number | 'network' | undefined): void
}

/**
 * Wraps the global fetch (as the client's `fetch` option) to count requests per path: "one refresh on the
 * wire" is asserted on this log.
 *
 * @example
 * const wire = createRecordingFetch()
 * const client = createClient({ issuer, mode: 'token', fetch: wire.fetch })
 * assert.equal(wire.count('/v1/refresh'), 1)
 */
export function createRecordingFetch(): RecordingFetch {
  const requests: SeenRequest[] = []
  const answers: RecordingFetch['answers'] = []
  const failures = new Map<string, number | 'network'>()
  const recordingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    const path = new URL(request.url).pathname
    const body = request.body === null ? '' : await request.clone().text()
    requests.push({ method: request.method, path, headers: new Headers(request.headers), body })
    const failure = failures.get(path)
    if (failure === 'network') throw new TypeError('fetch failed')
    if (failure !== undefined) return new Response('upstream trouble', { status: failure })
    const response = await fetch(request)
    const text = await response.clone().text()
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      parsed = undefined
    }
    answers.push({ path, status: response.status, body: parsed })
    return response
  }
  return {
    fetch: recordingFetch as typeof fetch,
    requests,
    answers,
    count: (path) => requests.filter((seen) => seen.path === path).length,
    failPath(path, failure) {
      if (failure === undefined) failures.delete(path)
      else failures.set(path, failure)
    },
  }
}
