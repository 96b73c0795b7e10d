/**
 * A TCP proxy in front of one Redis data node of the fault suite's Sentinel set, so that the suite
 * can cut the node off the network: everything (sentinels, replicas, Cascade's processes) reaches
 * the node only through its proxy.
 *
 * `blackhole()` is a cut cable, not a closed port: the bytes of existing connections stop in both
 * directions (the proxy stops reading; what was sent stays in the kernel's buffers, as TCP would
 * keep retransmitting it), nothing is closed on either side (a client's FIN or reset waits too),
 * and a new connection is accepted but never joined to the node (it hangs). `heal()` lets it all
 * through again in order, late: what a client sent before it gave up reaches the node then, as
 * retransmitted segments would after a cable is mended.
 *
 * A node that exits (kill -9) closes its side: the proxy closes the client's side at once, as the
 * node's kernel would (reset), unless the cable is cut.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net'

interface Pair { client: Socket; node?: Socket; pendingClose: (() => void)[] }

export class Proxy {
  private server?: Server
  private pairs = new Set<Pair>()
  private cut = false

  constructor(readonly port: number, readonly target: number, readonly host = '127.0.0.1') {}

  get blackholed(): boolean { return this.cut }

  async start(): Promise<void> {
    this.server = createServer({ pauseOnConnect: true }, client => this.accept(client))
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject)
      this.server!.listen(this.port, this.host, () => resolve())
    })
  }

  private accept(client: Socket): void {
    const pair: Pair = { client, pendingClose: [] }
    this.pairs.add(pair)
    client.setNoDelay(true)
    client.on('error', () => undefined)
    // A side closing is passed on now, or when the cable is mended, after what it sent (end, then destroy).
    const later = (fn: () => void) => { if (this.cut) pair.pendingClose.push(fn); else fn() }
    const closeAfterFlush = (s?: Socket) => { if (!s || s.destroyed) return; s.end(); setTimeout(() => s.destroy(), 1_000).unref() }
    client.once('close', () => later(() => { closeAfterFlush(pair.node); this.pairs.delete(pair) }))
    const join = () => {
      const node = createConnection({ port: this.target, host: this.host })
      pair.node = node
      node.setNoDelay(true)
      node.on('error', () => undefined)
      node.once('close', () => later(() => { closeAfterFlush(client); this.pairs.delete(pair) }))
      node.on('data', chunk => { if (!client.write(chunk)) node.pause() })
      client.on('drain', () => { if (!this.cut) node.resume() })
      client.on('data', chunk => { if (!node.write(chunk)) client.pause() })
      node.on('drain', () => { if (!this.cut) client.resume() })
      node.once('connect', () => { if (!this.cut) client.resume() })
    }
    if (this.cut) pair.pendingClose.push(join)
    else join()
  }

  /** Cut the cable: no byte passes either way, nothing closes, new connections hang. */
  blackhole(): void {
    this.cut = true
    for (const p of this.pairs) { p.client.pause(); p.node?.pause() }
  }

  /** Mend it: the held bytes flow (late), held closes and connections go through. */
  heal(): void {
    this.cut = false
    for (const p of [...this.pairs]) {
      const held = p.pendingClose.splice(0)
      if (p.node && !p.node.destroyed) p.node.resume()
      // A connection accepted during the cut starts flowing once joined (its bytes need a listener first).
      if (!p.client.destroyed && p.node?.readyState === 'open') p.client.resume()
      // Held closes after the held bytes (those already read flow first; the rest follow their socket's own end).
      setImmediate(() => { for (const fn of held) fn() })
    }
  }

  async stop(): Promise<void> {
    for (const p of this.pairs) { p.client.destroy(); p.node?.destroy() }
    this.pairs.clear()
    await new Promise<void>(resolve => this.server ? this.server.close(() => resolve()) : resolve())
  }
}
