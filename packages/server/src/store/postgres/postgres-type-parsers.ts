/**
 * How the store's connections turn PostgreSQL's text values into JavaScript values.
 *
 * Instants are BIGINT (int8). node-postgres returns int8 as a decimal string because a JavaScript number
 * is exact only up to 2^53 − 1; the common fix, `parseInt`, silently rounds larger values, and a rounded
 * expiry or not-before instant is a security bug. So int8 becomes a number only when it is exact, and a
 * larger value fails the read with `StoreRowInvalidError`: no such value was written by this store.
 *
 * The override is per pool (`types` in the pool config), never `pg.types.setTypeParser`, so an
 * application embedding Tessera keeps its own global int8 parser and cannot change ours. (Other types
 * come from node-postgres' shared registry; the store reads only text, int4 and int8, and the row readers
 * reject anything but the expected JavaScript type.)
 */
import type { CustomTypesConfig } from 'pg'
import { types } from 'pg'
import { StoreRowInvalidError } from '../store-errors.ts'

/** PostgreSQL's type OID for int8 (`select 'int8'::regtype::oid`). */
const INT8_OID = 20

const DECIMAL_INTEGER = /^-?(?:0|[1-9][0-9]*)$/

/**
 * Parses int8 text to a number, exactly: rejects anything beyond ±(2^53 − 1) with `StoreRowInvalidError`
 * (the driver does not say which column, and the message never repeats the value).
 *
 * @example
 * parseInt8Exactly('1700000000') // 1700000000
 * parseInt8Exactly('9007199254740993') // throws StoreRowInvalidError
 */
export function parseInt8Exactly(text: string): number {
  const value = Number(text)
  if (!DECIMAL_INTEGER.test(text) || !Number.isSafeInteger(value)) {
    throw new StoreRowInvalidError('a bigint column', 'an integer between -(2^53 - 1) and 2^53 - 1')
  }
  return value
}

/**
 * The type parsers of every store connection: int8 as exact numbers, everything else from node-postgres'
 * registry. The store only ever asks for the text format.
 *
 * @example
 * const pool = new Pool({ connectionString, types: storeTypeParsers })
 */
export const storeTypeParsers: CustomTypesConfig = Object.freeze({
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? parseInt8Exactly : types.getTypeParser(oid, format),
})
