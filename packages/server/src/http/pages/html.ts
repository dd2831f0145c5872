/**
 * HTML that escapes by default: every interpolated value is escaped unless it is itself `Html` built by
 * this tag, so a value can never close an attribute or open a tag (OWASP XSS prevention, rule 1 and 2).
 */

/** A fragment of trusted markup. Only `html` creates one. */
export class Html {
  readonly #markup: string

  private constructor(markup: string) {
    this.#markup = markup
  }

  /** @internal Used by the `html` tag only. */
  static trusted(markup: string): Html {
    return new Html(markup)
  }

  toString(): string {
    return this.#markup
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
}

/**
 * Escapes text for an HTML element body or a quoted attribute value.
 *
 * @example
 * escapeHtml('<b>"x"</b>') // '&lt;b&gt;&quot;x&quot;&lt;/b&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => ESCAPES[char] ?? char)
}

type Interpolation = Html | string | number | readonly Html[] | undefined | null | false

/**
 * The template tag: strings and numbers are escaped, `Html` fragments and arrays of them are inserted as
 * they are, `undefined`, `null` and `false` render nothing.
 *
 * @example
 * html`<p class="error">${message}</p>`
 */
export function html(strings: TemplateStringsArray, ...values: readonly Interpolation[]): Html {
  let markup = strings[0] ?? ''
  values.forEach((value, index) => {
    markup += render(value) + (strings[index + 1] ?? '')
  })
  return Html.trusted(markup)
}

function render(value: Interpolation): string {
  if (value === undefined || value === null || value === false) return ''
  if (value instanceof Html) return value.toString()
  if (Array.isArray(value)) return value.map((item) => render(item)).join('')
  return escapeHtml(String(value))
}
