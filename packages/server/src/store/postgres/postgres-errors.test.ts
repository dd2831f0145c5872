// Which driver failures mean "the database is unavailable" (a 503 with Retry-After), which stay errors
// (a bug, a constraint), and the exact int8 parsing. No server needed: errors are built as node-postgres
// builds them; `postgres-faults.test.ts` provokes the real ones.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DatabaseError } from 'pg'
import { StoreRowInvalidError } from '../store-errors.ts'
import { postgresDialectTraits, postgresSqlState } from './postgres-dialect-traits.ts'
import { isPostgresUnavailable, PostgresUnavailableError, toStoreFailure } from './postgres-errors.ts'
import { parseInt8Exactly, storeTypeParsers } from './postgres-type-parsers.ts'

function serverError(sqlState: string, message = 'server said no'): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error')
  error.code = sqlState
  return error
}

function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code })
}

describe('postgres error classification', () => {
  test('connection-class and shutdown SQLSTATEs are unavailable', () => {
    for (const sqlState of [
      '08006',
      '08001',
      '08P01',
      '57P01',
      '57P02',
      '57P03',
      '53300',
      '57014',
      '55P03',
    ]) {
      assert.equal(isPostgresUnavailable(serverError(sqlState)), true, sqlState)
    }
  })

  test('constraint, syntax and data errors are not', () => {
    for (const sqlState of ['23505', '23514', '42P01', '42601', '22P02', '40P01', '28P01']) {
      assert.equal(isPostgresUnavailable(serverError(sqlState)), false, sqlState)
    }
  })

  test('socket failures are unavailable, including every attempt of a dual-stack connect', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']) {
      assert.equal(isPostgresUnavailable(systemError(code)), true, code)
    }
    const both = new AggregateError([systemError('ECONNREFUSED'), systemError('ECONNREFUSED')])
    assert.equal(isPostgresUnavailable(both), true)
    assert.equal(isPostgresUnavailable(systemError('EACCES')), false)
  })

  test('node-postgres connection-loss messages are unavailable; other plain errors are bugs', () => {
    assert.equal(isPostgresUnavailable(new Error('Connection terminated unexpectedly')), true)
    assert.equal(
      isPostgresUnavailable(new Error('Client has encountered a connection error and is not queryable')),
      true,
    )
    assert.equal(isPostgresUnavailable(new Error('Connection terminated unexpectedly!')), false)
    assert.equal(isPostgresUnavailable(new TypeError('cannot read properties of undefined')), false)
    assert.equal(isPostgresUnavailable(new StoreRowInvalidError('users.state', 'one of active')), false)
    assert.equal(isPostgresUnavailable('Connection terminated unexpectedly'), false)
  })

  test('toStoreFailure wraps with a fixed message and keeps the driver error only as cause', () => {
    const driver = serverError('57P01', 'terminating connection due to administrator command for user ada')
    const mapped = toStoreFailure(driver, 'query')
    assert.ok(mapped instanceof PostgresUnavailableError)
    assert.equal(mapped.code, 'store_unavailable')
    assert.equal(mapped.message, 'the database is unavailable')
    assert.equal(mapped.retryAfterSeconds, 5)
    assert.equal(mapped.cause, driver)
    assert.equal(toStoreFailure(mapped, 'query'), mapped, 'not wrapped twice')
  })

  test('any failure to obtain a connection is unavailable; a failing statement keeps its error', () => {
    const authFailure = serverError('28P01', 'password authentication failed for user "tessera"')
    assert.ok(toStoreFailure(authFailure, 'connect') instanceof PostgresUnavailableError)
    assert.ok(
      toStoreFailure(new Error('timeout exceeded when trying to connect'), 'connect') instanceof
        PostgresUnavailableError,
    )
    const unique = serverError('23505')
    assert.equal(toStoreFailure(unique, 'query'), unique)
  })
})

describe('postgres dialect traits', () => {
  test('a unique violation is SQLSTATE 23505 on a server error, nothing else', () => {
    assert.equal(postgresDialectTraits.isUniqueViolation(serverError('23505')), true)
    assert.equal(postgresDialectTraits.isUniqueViolation(serverError('23503')), false)
    assert.equal(
      postgresDialectTraits.isUniqueViolation(Object.assign(new Error('x'), { code: '23505' })),
      false,
    )
    assert.equal(postgresDialectTraits.supportsRowLocks, true)
    assert.equal(postgresSqlState(serverError('40001')), '40001')
    assert.equal(postgresSqlState(new Error('plain')), undefined)
  })
})

describe('int8 parsing', () => {
  test('exact integers become numbers up to ±(2^53 − 1)', () => {
    assert.equal(parseInt8Exactly('0'), 0)
    assert.equal(parseInt8Exactly('1700000000'), 1_700_000_000)
    assert.equal(parseInt8Exactly('-42'), -42)
    assert.equal(parseInt8Exactly('9007199254740991'), Number.MAX_SAFE_INTEGER)
    assert.equal(parseInt8Exactly('-9007199254740991'), Number.MIN_SAFE_INTEGER)
  })

  test('values a number cannot hold exactly are rejected, never rounded, and never echoed', () => {
    for (const text of ['9007199254740992', '9007199254740993', '-9007199254740993', '9223372036854775807']) {
      assert.throws(
        () => parseInt8Exactly(text),
        (error: unknown) => {
          assert.ok(error instanceof StoreRowInvalidError)
          assert.ok(!error.message.includes(text))
          return true
        },
        text,
      )
    }
    for (const text of ['', ' 1', '01', '1e3', '1.0', '0x10'])
      assert.throws(() => parseInt8Exactly(text), text)
  })

  test('the store connections parse int8 with it and leave other types to node-postgres', () => {
    assert.equal(storeTypeParsers.getTypeParser(20, 'text'), parseInt8Exactly)
    assert.equal(storeTypeParsers.getTypeParser(23, 'text')('17'), 17)
    assert.equal(storeTypeParsers.getTypeParser(25, 'text')('text'), 'text')
  })
})
