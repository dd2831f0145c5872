/**
 * oidc-provider's adapter over one SQLite file through better-sqlite3, set up like Tessera's own store
 * (packages/server/src/store/sqlite/open-sqlite-store.ts): WAL journal, `synchronous = NORMAL`, a 5 s busy
 * timeout. Statements are prepared once; each call is one autocommit statement, which is all the adapter
 * interface asks for (oidc-provider orders its own calls and has no transaction in its contract).
 */
import BetterSqlite3 from 'better-sqlite3'
import {
  nowSeconds,
  type OidcAdapter,
  type OidcPayload,
  type OidcStore,
  payloadColumns,
  rowToPayload,
} from './oidc-adapter.ts'

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS oidc_payloads (
    model TEXT NOT NULL,
    id TEXT NOT NULL,
    payload TEXT NOT NULL,
    grant_id TEXT,
    user_code TEXT,
    uid TEXT,
    expires_at INTEGER,
    consumed_at INTEGER,
    PRIMARY KEY (model, id)
  );
  CREATE INDEX IF NOT EXISTS oidc_payloads_grant ON oidc_payloads (model, grant_id) WHERE grant_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS oidc_payloads_uid ON oidc_payloads (model, uid) WHERE uid IS NOT NULL;
  CREATE INDEX IF NOT EXISTS oidc_payloads_user_code ON oidc_payloads (model, user_code)
    WHERE user_code IS NOT NULL;
  -- What a purge job of expired rows would scan by.
  CREATE INDEX IF NOT EXISTS oidc_payloads_expiry ON oidc_payloads (expires_at) WHERE expires_at IS NOT NULL;
  CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    disabled INTEGER NOT NULL DEFAULT 0
  );
`

const LIVE = '(expires_at IS NULL OR expires_at > ?)'

/**
 * Opens (creating) the SQLite file and its schema.
 *
 * @example
 * const store = openOidcSqliteStore('/tmp/bench/oidc.db')
 * const adapter = store.adapterFor('RefreshToken')
 */
export function openOidcSqliteStore(file: string): OidcStore {
  const db = new BetterSqlite3(file, { timeout: 5000 })
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 5000')
  db.pragma('synchronous = NORMAL')
  db.exec(SCHEMA)
  const statements = {
    upsert: db.prepare(
      `INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
         user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at, consumed_at = NULL`,
    ),
    find: db.prepare(`SELECT payload, consumed_at FROM oidc_payloads WHERE model = ? AND id = ? AND ${LIVE}`),
    findByUid: db.prepare(
      `SELECT payload, consumed_at FROM oidc_payloads WHERE model = ? AND uid = ? AND ${LIVE} LIMIT 1`,
    ),
    findByUserCode: db.prepare(
      `SELECT payload, consumed_at FROM oidc_payloads WHERE model = ? AND user_code = ? AND ${LIVE} LIMIT 1`,
    ),
    consume: db.prepare('UPDATE oidc_payloads SET consumed_at = ? WHERE model = ? AND id = ?'),
    destroy: db.prepare('DELETE FROM oidc_payloads WHERE model = ? AND id = ?'),
    revokeByGrantId: db.prepare('DELETE FROM oidc_payloads WHERE model = ? AND grant_id = ?'),
    findAccount: db.prepare('SELECT email FROM accounts WHERE id = ? AND disabled = 0'),
    insertAccount: db.prepare('INSERT INTO accounts (id, email) VALUES (?, ?)'),
  }
  const payloadOf = (row: unknown): OidcPayload | undefined => {
    if (typeof row !== 'object' || row === null) return undefined
    return rowToPayload(Reflect.get(row, 'payload'), Reflect.get(row, 'consumed_at'))
  }

  return {
    adapterFor(model: string): OidcAdapter {
      return {
        async upsert(id, payload, expiresIn) {
          const { grantId, userCode, uid, expiresAt } = payloadColumns(payload, expiresIn, nowSeconds())
          statements.upsert.run(model, id, JSON.stringify(payload), grantId, userCode, uid, expiresAt)
        },
        async find(id) {
          return payloadOf(statements.find.get(model, id, nowSeconds()))
        },
        async findByUid(uid) {
          return payloadOf(statements.findByUid.get(model, uid, nowSeconds()))
        },
        async findByUserCode(userCode) {
          return payloadOf(statements.findByUserCode.get(model, userCode, nowSeconds()))
        },
        async consume(id) {
          statements.consume.run(nowSeconds(), model, id)
        },
        async destroy(id) {
          statements.destroy.run(model, id)
        },
        async revokeByGrantId(grantId) {
          statements.revokeByGrantId.run(model, grantId)
        },
      }
    },
    async findAccount(id) {
      const row: unknown = statements.findAccount.get(id)
      const email = typeof row === 'object' && row !== null ? Reflect.get(row, 'email') : undefined
      return typeof email === 'string' ? email : undefined
    },
    async createAccounts(accounts) {
      db.transaction(() => {
        for (const { id, email } of accounts) statements.insertAccount.run(id, email)
      })()
    },
    async close() {
      db.close()
    },
  }
}
