/**
 * A TCP load balancer for tests: each new connection goes to the next upstream in turn, skipping one that
 * refuses the connection (a killed instance), like a load balancer with connect-failure failover. Requests
 * on one kept-alive connection stay on one upstream, as they would behind a real L4 balancer.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'

export interface RoundRobinProxy {
  readonly url: string
  /** Replaces the upstream list (`http://127.0.0.1:port` URLs); an empty list refuses every connection. */
  setUpstreams(urls: readonly string[]): void
  /** Cuts every open connection (a network partition, together with an empty upstream list). */
  dropConnections(): void
  close(): Promise<void>
}

/**
 * Starts the proxy on a free loopback port.
 *
 * @example
 * const lb = await startRoundRobinProxy([a.url, b.url])
 * await fetch(`${lb.url}/.well-known/jwks.json`)
 */
export async function startRoundRobinProxy(upstreams: readonly string[]): Promise<RoundRobinProxy> {
  let targets = upstreams.map(portOf)
  let next = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    sockets.add(client)
    client.once('close', () => sockets.delete(client))
    client.pause()
    const tryUpstream = (attemptsLeft: number): void => {
      if (attemptsLeft === 0 || targets.length === 0) {
        client.destroy()
        return
      }
      const port = targets[next % targets.length] as number
      next += 1
      const upstream = connect({ host: '127.0.0.1', port })
      let connected = false
      upstream.on('error', () => {
        upstream.destroy()
        if (connected) client.destroy()
        else tryUpstream(attemptsLeft - 1)
      })
      upstream.once('connect', () => {
        connected = true
        sockets.add(upstream)
        upstream.once('close', () => {
          sockets.delete(upstream)
          client.destroy()
        })
        client.on('error', () => upstream.destroy())
        client.once('close', () => upstream.destroy())
        client.pipe(upstream)
        upstream.pipe(client)
        client.resume()
      })
    }
    tryUpstream(targets.length)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    setUpstreams: (urls) => {
      targets = urls.map(portOf)
    },
    dropConnections: () => {
      for (const socket of sockets) socket.destroy()
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function portOf(url: string): number {
  const { port, protocol } = new URL(url)
  if (port !== '') return Number(port)
  return protocol === 'postgres:' || protocol === 'postgresql:' ? 5432 : 80
}
