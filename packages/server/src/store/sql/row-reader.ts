/**
 * Typed access to one database row whose columns are `unknown`. Each accessor accepts exactly the
 * representations the two dialects produce and rejects everything else with a `StoreRowInvalidError`
 * naming `table.column` (never the value: a column may hold a hash).
 */
import { StoreRowInvalidError } from '../store-errors.ts'

/** Reads typed columns of one row; every method throws `StoreRowInvalidError` on a bad value. */
export interface RowReader {
  text(column: string): string
  nullableText(column: string): string | null
  /** Epoch seconds: a safe integer, or its decimal string (node-postgres returns bigint as a string). */
  instant(column: string): number
  nullableInstant(column: string): number | null
  /** INTEGER 0/1, the portable boolean. */
  flag(column: string): boolean
  oneOf<const T extends string>(column: string, allowed: readonly T[]): T
}

const DECIMAL_INTEGER = /^-?(?:0|[1-9][0-9]*)$/

function parseInstant(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined
  if (typeof value === 'string' && DECIMAL_INTEGER.test(value)) {
    const parsed = Number(value)
    return Number.isSafeInteger(parsed) ? parsed : undefined
  }
  return undefined
}

/**
 * Wraps a row from the driver for column-by-column parsing.
 *
 * @example
 * const r = readRow('users', row)
 * const user = { id: r.text('id'), disabled: r.flag('disabled'), createdAt: r.instant('created_at') }
 */
export function readRow(table: string, row: unknown): RowReader {
  if (typeof row !== 'object' || row === null) throw new StoreRowInvalidError(table, 'a row object')
  const values = row as Readonly<Record<string, unknown>>
  const column = (name: string): unknown => (Object.hasOwn(values, name) ? values[name] : undefined)
  const invalid = (name: string, expected: string): StoreRowInvalidError =>
    new StoreRowInvalidError(`${table}.${name}`, expected)

  const reader: RowReader = {
    text(name) {
      const value = column(name)
      if (typeof value !== 'string') throw invalid(name, 'text')
      return value
    },
    nullableText(name) {
      const value = column(name)
      if (value === null) return null
      if (typeof value !== 'string') throw invalid(name, 'text or null')
      return value
    },
    instant(name) {
      const value = parseInstant(column(name))
      if (value === undefined) throw invalid(name, 'an integer number of epoch seconds')
      return value
    },
    nullableInstant(name) {
      const raw = column(name)
      if (raw === null) return null
      const value = parseInstant(raw)
      if (value === undefined) throw invalid(name, 'an integer number of epoch seconds or null')
      return value
    },
    flag(name) {
      const value = column(name)
      if (value === 0) return false
      if (value === 1) return true
      throw invalid(name, '0 or 1')
    },
    oneOf(name, allowed) {
      const value = column(name)
      const match = allowed.find((candidate) => candidate === value)
      if (match === undefined) throw invalid(name, `one of ${allowed.join(', ')}`)
      return match
    },
  }
  return reader
}
