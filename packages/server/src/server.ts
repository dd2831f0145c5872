import type { FastifyInstance } from 'fastify'
import type { Config } from './config/schema.ts'
import { recordKeyRotation } from './domain/key-rotation-events.ts'
import { buildApp } from './http/app.ts'
import { createServices, type Services, type ServicesOptions } from './services.ts'

/** A listening auth server and the means to stop it. */
export interface RunningServer {
  readonly app: FastifyInstance
  readonly services: Services
  /** The address actually bound (the port is real even when the config asked for 0). */
  readonly url: string
  close(): Promise<void>
}

/** Housekeeping cadence: key rotation when due, ring reload (another instance may have rotated), purges. */
const MAINTENANCE_INTERVAL_MS = 60_000
/** How often revocations written by other processes are read from the database. */
const REVOCATION_POLL_INTERVAL_MS = 500
/** Ended sessions are kept this long for the devices page and audits, then deleted. */
const ENDED_SESSION_RETENTION_SECONDS = 7 * 86_400

/**
 * Starts the auth server: services, key ring, HTTP listener, and the maintenance timer. The caller owns
 * signals; {@link RunningServer.close} drains in-flight requests, then closes the store.
 *
 * @example
 * const server = await startServer(config, { logger })
 * process.once('SIGTERM', () => void server.close())
 */
export async function startServer(config: Config, options: ServicesOptions): Promise<RunningServer> {
  const services = await createServices(config, options)
  let app: FastifyInstance
  try {
    app = await buildApp(services)
    await app.listen({ host: config.host, port: config.port })
  } catch (error) {
    await services.close()
    throw error
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  const host = config.host.includes(':') ? `[${config.host}]` : config.host

  // Another instance or the CLI changed the key ring: reload now, so this instance signs with the same key.
  services.hotState?.follow(() => {
    void services.ring.reload().catch((error: unknown) => {
      services.logger.warn({ err: { type: (error as Error).name } }, 'key ring reload failed; will retry')
    })
  })

  const maintenance = setInterval(() => {
    void runMaintenance(services).catch((error: unknown) => {
      services.logger.warn({ err: { type: (error as Error).name } }, 'maintenance failed; will retry')
    })
  }, MAINTENANCE_INTERVAL_MS)
  maintenance.unref()

  // Revocations written by other processes (another instance, the CLI) reach this instance's feed within
  // a second, the bound SPEC §2 sets for every guard.
  const revocationPolling = setInterval(() => {
    void services.revocationPoller.poll().catch(() => {
      // The store is unreachable: readiness reports it; the next tick retries.
    })
    // Appends what waited for Redis, and re-seeds the event stream if Redis lost it.
    void services.hotState?.relay.tick()
  }, REVOCATION_POLL_INTERVAL_MS)
  revocationPolling.unref()

  let closing: Promise<void> | undefined
  return {
    app,
    services,
    url: `http://${host}:${port}`,
    close: () => {
      closing ??= (async () => {
        clearInterval(maintenance)
        clearInterval(revocationPolling)
        await app.close()
        await services.close()
      })()
      return closing
    },
  }
}

async function runMaintenance(services: Services): Promise<void> {
  const previousKid = services.ring.signingKey.kid
  if (await services.ring.rotateIfDue()) {
    const rotated = { current: services.ring.signingKey.kid, next: undefined }
    const rotation = { previousKid, rotated, trigger: 'schedule', forced: false } as const
    await recordKeyRotation(services.securityRecord, rotation)
  }
  await services.store.sessions.purgeEnded(services.clock.nowSeconds() - ENDED_SESSION_RETENTION_SECONDS)
  // max_uses counters of expired tokens can never be asked about again.
  await services.tokenUses.purgeExpired(services.clock.nowSeconds())
  // Upstream login transactions live ten minutes; what is left of them after that is garbage.
  await services.store.oidcLogins.purgeExpired(services.clock.nowSeconds())
  // securityEvents.retentionDays: the record is kept for investigations, not for ever.
  await services.securityRecord.pruneExpired()
}
