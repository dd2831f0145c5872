/**
 * oidc-provider's adapter over PostgreSQL through `pg`: the same row shape as the SQLite store, the payload
 * as `jsonb`, a pool of 10 connections (Tessera's default pool size), one parameterised statement per call.
 */
import pg from 'pg'
import {
  nowSeconds,
  type OidcAdapter,
  type OidcPayload,
  type OidcStore,
  payloadColumns,
  rowToPayload,
} from './oidc-adapter.ts'

const POOL_SIZE = 10

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS oidc_payloads (
    model text NOT NULL,
    id text NOT NULL,
    payload jsonb NOT NULL,
    grant_id text,
    user_code text,
    uid text,
    expires_at bigint,
    consumed_at bigint,
    PRIMARY KEY (model, id)
  );
  CREATE INDEX IF NOT EXISTS oidc_payloads_grant ON oidc_payloads (model, grant_id) WHERE grant_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS oidc_payloads_uid ON oidc_payloads (model, uid) WHERE uid IS NOT NULL;
  CREATE INDEX IF NOT EXISTS oidc_payloads_user_code ON oidc_payloads (model, user_code)
    WHERE user_code IS NOT NULL;
  -- What a purge job of expired rows would scan by.
  CREATE INDEX IF NOT EXISTS oidc_payloads_expiry ON oidc_payloads (expires_at) WHERE expires_at IS NOT NULL;
  CREATE TABLE IF NOT EXISTS accounts (
    id text PRIMARY KEY,
    email text NOT NULL UNIQUE,
    disabled boolean NOT NULL DEFAULT false
  );
`

const LIVE = '(expires_at IS NULL OR expires_at > $3)'

/**
 * Connects to `url` (a database this benchmark created) and creates the schema.
 *
 * @example
 * const store = await openOidcPostgresStore('postgres://postgres@127.0.0.1:5432/tessera_bench_x')
 * await store.close()
 */
export async function openOidcPostgresStore(url: string): Promise<OidcStore> {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE })
  await pool.query(SCHEMA)
  const first = async (text: string, values: unknown[]): Promise<OidcPayload | undefined> => {
    const { rows } = await pool.query(text, values)
    const row: unknown = rows[0]
    if (typeof row !== 'object' || row === null) return undefined
    return rowToPayload(Reflect.get(row, 'payload'), Reflect.get(row, 'consumed_at'))
  }

  return {
    adapterFor(model: string): OidcAdapter {
      return {
        async upsert(id, payload, expiresIn) {
          const { grantId, userCode, uid, expiresAt } = payloadColumns(payload, expiresIn, nowSeconds())
          await pool.query(
            `INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)
             ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
               user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at,
               consumed_at = NULL`,
            [model, id, JSON.stringify(payload), grantId, userCode, uid, expiresAt],
          )
        },
        find(id) {
          return first(
            `SELECT payload, consumed_at FROM oidc_payloads WHERE model = $1 AND id = $2 AND ${LIVE}`,
            [model, id, nowSeconds()],
          )
        },
        findByUid(uid) {
          return first(
            `SELECT payload, consumed_at FROM oidc_payloads WHERE model = $1 AND uid = $2 AND ${LIVE} LIMIT 1`,
            [model, uid, nowSeconds()],
          )
        },
        findByUserCode(userCode) {
          return first(
            `SELECT payload, consumed_at FROM oidc_payloads
             WHERE model = $1 AND user_code = $2 AND ${LIVE} LIMIT 1`,
            [model, userCode, nowSeconds()],
          )
        },
        async consume(id) {
          await pool.query('UPDATE oidc_payloads SET consumed_at = $3 WHERE model = $1 AND id = $2', [
            model,
            id,
            nowSeconds(),
          ])
        },
        async destroy(id) {
          await pool.query('DELETE FROM oidc_payloads WHERE model = $1 AND id = $2', [model, id])
        },
        async revokeByGrantId(grantId) {
          await pool.query('DELETE FROM oidc_payloads WHERE model = $1 AND grant_id = $2', [model, grantId])
        },
      }
    },
    async findAccount(id) {
      const { rows } = await pool.query('SELECT email FROM accounts WHERE id = $1 AND NOT disabled', [id])
      const row: unknown = rows[0]
      const email = typeof row === 'object' && row !== null ? Reflect.get(row, 'email') : undefined
      return typeof email === 'string' ? email : undefined
    },
    async createAccounts(accounts) {
      for (const { id, email } of accounts) {
        await pool.query('INSERT INTO accounts (id, email) VALUES ($1, $2)', [id, email])
      }
    },
    async close() {
      await pool.end()
    },
  }
}
