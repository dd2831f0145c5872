/**
 * Every migration in order. Names sort lexically and are never renamed once released: the migration
 * table records them, and Kysely refuses to start when a recorded name disappears.
 */
import type { Migration } from 'kysely'
import { initialMigration } from './0001-initial.ts'
import { serviceClientsMigration } from './0002-service-clients.ts'
import { oidcIdentitiesMigration } from './0003-oidc-identities.ts'
import { sessionDpopBindingMigration } from './0004-session-dpop-binding.ts'
import { securityEventsMigration } from './0005-security-events.ts'

/** The migrations Kysely's Migrator applies, keyed by their recorded name. */
export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-initial': initialMigration,
  '0002-service-clients': serviceClientsMigration,
  '0003-oidc-identities': oidcIdentitiesMigration,
  '0004-session-dpop-binding': sessionDpopBindingMigration,
  '0005-security-events': securityEventsMigration,
})
