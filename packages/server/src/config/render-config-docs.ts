/**
 * Renders the generated options table as Markdown and splices it into docs/configuration.md between two
 * marker comments, so the prose around the table stays hand-written and the table stays generated.
 */
import type { SettingDescription } from './describe-config.ts'

export const generatedSectionStart = '<!-- generated:config-table:start (scripts/generate-config-docs.ts) -->'
export const generatedSectionEnd = '<!-- generated:config-table:end -->'

function cell(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll('\n', ' ')
}

function code(text: string): string {
  return `\`${text}\``
}

function envCell(row: SettingDescription): string {
  if (row.envName === null) return 'inside the list’s JSON'
  return [code(row.envName), ...row.envAliases.map((alias) => `alias ${code(alias)}`)].join('<br>')
}

/**
 * Renders the options table as a Markdown table with padded columns, the layout Biome's Markdown
 * formatter produces, so `biome check` and the generator agree on the committed file.
 *
 * @example
 * const markdown = renderConfigTable(describeConfig())
 */
export function renderConfigTable(rows: readonly SettingDescription[]): string {
  const header = ['Setting', 'Environment', 'Type', 'Default', 'Allowed', 'Meaning']
  const body = rows.map((row) => {
    const defaultValue = row.defaultKind === 'value' ? code(row.defaultValue) : row.defaultValue
    return [code(row.path), envCell(row), row.type, defaultValue, row.range, row.description].map(cell)
  })
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((cells) => cells[column]?.length ?? 0)),
  )
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((text, column) => text.padEnd(widths[column] ?? 0)).join(' | ')} |`
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n')
}

/**
 * Replaces the generated section of a document (between the markers) with `table`. Throws when the
 * markers are missing or out of order, rather than appending somewhere unexpected.
 *
 * @example
 * writeFileSync(path, replaceGeneratedSection(readFileSync(path, 'utf8'), renderConfigTable(describeConfig())))
 */
export function replaceGeneratedSection(document: string, table: string): string {
  const start = document.indexOf(generatedSectionStart)
  const end = document.indexOf(generatedSectionEnd)
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`the document lacks the markers ${generatedSectionStart} … ${generatedSectionEnd}`)
  }
  const before = document.slice(0, start + generatedSectionStart.length)
  return `${before}\n\n${table}\n\n${document.slice(end)}`
}
