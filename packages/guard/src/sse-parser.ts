/** One dispatched server-sent event (WHATWG HTML §9.2.6). */
export interface ServerSentEvent {
  /** The `event` field; `message` when absent. */
  readonly type: string
  /** The `data` lines, joined with `\n`. */
  readonly data: string
  /** The last event id in force when the event was dispatched; `''` when none was ever set. */
  readonly lastEventId: string
}

/** The stream broke the parser's bounds or was not UTF-8: the connection should be dropped. */
export class EventStreamError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EventStreamError'
  }
}

/**
 * An incremental `text/event-stream` parser with bounds: one line and one event's data may not exceed
 * `maxEventChars`, so a broken or hostile feed cannot make the guard buffer without end. Bytes must be
 * valid UTF-8 (decoded fatally). Lines end in CRLF, LF or CR, also when the CRLF is split across chunks.
 *
 * @example
 * const parser = new EventStreamParser((event) => handle(event), 8 << 20)
 * for await (const chunk of body) parser.push(chunk)
 */
export class EventStreamParser {
  readonly #onEvent: (event: ServerSentEvent) => void
  readonly #maxEventChars: number
  readonly #decoder = new TextDecoder('utf-8', { fatal: true })
  #partialLine = ''
  #skipNextLineFeed = false
  #type = ''
  #data: string[] = []
  #dataChars = 0
  #lastEventId = ''

  constructor(onEvent: (event: ServerSentEvent) => void, maxEventChars: number) {
    this.#onEvent = onEvent
    this.#maxEventChars = maxEventChars
  }

  /** The id to send back as `Last-Event-ID` on reconnect. */
  get lastEventId(): string {
    return this.#lastEventId
  }

  /** Feeds the next chunk of the stream; dispatches every event it completes. Throws `EventStreamError`. */
  push(chunk: Uint8Array): void {
    let text: string
    try {
      text = this.#decoder.decode(chunk, { stream: true })
    } catch {
      throw new EventStreamError('The event stream is not UTF-8')
    }
    let start = 0
    if (this.#skipNextLineFeed && text.charCodeAt(0) === 10) start = 1
    this.#skipNextLineFeed = false
    for (let index = start; index < text.length; index++) {
      const code = text.charCodeAt(index)
      if (code !== 10 && code !== 13) continue
      const line = this.#partialLine + text.slice(start, index)
      this.#partialLine = ''
      this.#processLine(line)
      if (code === 13) {
        if (index + 1 === text.length) this.#skipNextLineFeed = true
        else if (text.charCodeAt(index + 1) === 10) index++
      }
      start = index + 1
    }
    if (start < text.length) this.#partialLine += text.slice(start)
    if (this.#partialLine.length > this.#maxEventChars)
      throw new EventStreamError('An event stream line is too long')
  }

  #processLine(line: string): void {
    if (line === '') {
      this.#dispatch()
      return
    }
    if (line.charCodeAt(0) === 58) return // ':' starts a comment
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.charCodeAt(0) === 32) value = value.slice(1)
    switch (field) {
      case 'event':
        this.#type = value
        break
      case 'data':
        this.#dataChars += value.length + 1
        if (this.#dataChars > this.#maxEventChars) throw new EventStreamError('An event is too large')
        this.#data.push(value)
        break
      case 'id':
        if (!value.includes('\0')) this.#lastEventId = value
        break
      default:
        break // `retry` and unknown fields are ignored; the guard paces its own reconnects
    }
  }

  #dispatch(): void {
    const hasData = this.#data.length > 0
    const event: ServerSentEvent = {
      type: this.#type === '' ? 'message' : this.#type,
      data: this.#data.join('\n'),
      lastEventId: this.#lastEventId,
    }
    this.#type = ''
    this.#data = []
    this.#dataChars = 0
    if (hasData) this.#onEvent(event)
  }
}
