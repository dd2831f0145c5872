/** One parsed server-sent event. */
export interface ServerSentEvent {
  readonly id: string | undefined
  readonly event: string
  readonly data: string
}

/** An open event stream read event by event; `next` rejects when nothing arrives in time. */
export interface EventStreamReader {
  readonly status: number
  readonly headers: Headers
  next(timeoutMs?: number): Promise<ServerSentEvent>
  /** Resolves when the server ends the stream (or rejects after the timeout). */
  ended(timeoutMs?: number): Promise<void>
  close(): void
}

/**
 * Opens `url` with fetch and parses `text/event-stream` (WHATWG HTML §9.2: `field: value` lines, events
 * separated by a blank line), small and strict enough for tests.
 *
 * @example
 * const stream = await openEventStream(`${url}/v1/revocations`, { authorization })
 * const snapshot = await stream.next()
 */
export async function openEventStream(
  url: string,
  headers: Record<string, string>,
): Promise<EventStreamReader> {
  const abort = new AbortController()
  const response = await fetch(url, { headers, signal: abort.signal })
  const queue: ServerSentEvent[] = []
  const waiters: (() => void)[] = []
  let isEnded = false
  let buffer = ''
  const wake = (): void => {
    for (const waiter of waiters.splice(0)) waiter()
  }

  function parse(block: string): void {
    let id: string | undefined
    let event = 'message'
    const data: string[] = []
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'id') id = value
      else if (field === 'event') event = value
      else if (field === 'data') data.push(value)
    }
    queue.push({ id, event, data: data.join('\n') })
  }

  void (async () => {
    try {
      const decoder = new TextDecoder()
      for await (const chunk of response.body ?? []) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true })
        let end = buffer.indexOf('\n\n')
        while (end >= 0) {
          parse(buffer.slice(0, end))
          buffer = buffer.slice(end + 2)
          end = buffer.indexOf('\n\n')
        }
        wake()
      }
    } catch {
      // Aborted by close(), or the connection dropped: both end the stream.
    }
    isEnded = true
    wake()
  })()

  function waitFor<T>(ready: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs)
      const check = (): void => {
        let value: T | undefined
        try {
          value = ready()
        } catch (error) {
          clearTimeout(timer)
          reject(error)
          return
        }
        if (value !== undefined) {
          clearTimeout(timer)
          resolve(value)
        } else waiters.push(check)
      }
      check()
    })
  }

  return {
    status: response.status,
    headers: response.headers,
    next: (timeoutMs = 2000) =>
      waitFor(
        () => {
          const event = queue.shift()
          if (event === undefined && isEnded) throw new Error('the stream ended')
          return event
        },
        timeoutMs,
        'event',
      ),
    ended: (timeoutMs = 2000) =>
      waitFor(() => (isEnded ? true : undefined), timeoutMs, 'end of stream').then(() => undefined),
    close: () => abort.abort(),
  }
}
