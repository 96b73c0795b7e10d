/**
 * A Redis Sentinel deployment of the fault suite's own, as processes on loopback (ports 7110–7112
 * for the data nodes, 7120–7122 for the sentinels; the `ha` compose profile is the same shape):
 * one master, two replicas, three sentinels (quorum 2), AOF `always` and `min-replicas-to-write 1`
 * (max lag 10 s) on every data node, each in
 * its own temp dir. The sentinels declare a master down after `downAfterMs` (2 s here; Redis's own
 * default is 30 s, the compose profile uses 5 s) and promote a replica.
 *
 * The fault: kill -9 of whichever node is master now (no restart). `url` names the sentinels
 * (`redis-sentinel://…/cascade`), so every process of the suite finds the master through them and
 * follows the failover by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
export const MASTER_NAME = 'cascade'

interface Node { port: number; child: ChildProcess; sentinel: boolean }

export class SentinelSet {
  readonly fsync = 'always' as const
  private nodes: Node[] = []
  readonly url: string
  /** When the last kill -9 of the master happened, and when the sentinels had a new master. */
  killedAt?: number
  electedAt?: number

  private constructor(readonly dir: string, readonly dataPorts: number[], readonly sentinelPorts: number[], readonly downAfterMs: number) {
    this.url = `redis-sentinel://${sentinelPorts.map(p => `127.0.0.1:${p}`).join(',')}/${MASTER_NAME}`
  }

  static async create(parentDir = os.tmpdir(), downAfterMs = 2_000, base = 7110): Promise<SentinelSet> {
    const dir = await mkdtemp(path.join(parentDir, 'cascade-ha-'))
    const s = new SentinelSet(dir, [base, base + 1, base + 2], [base + 10, base + 11, base + 12], downAfterMs)
    await s.start()
    return s
  }

  get running(): boolean { return true }
  resume(): void { /* nothing paused */ }

  private spawnNode(port: number, args: string[], sentinel: boolean): void {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] })
    this.nodes.push({ port, child, sentinel })
  }

  async start(): Promise<void> {
    const [master, ...replicas] = this.dataPorts
    for (const port of this.dataPorts) {
      const d = path.join(this.dir, String(port))
      await rm(d, { recursive: true, force: true })
      await import('node:fs/promises').then(fs => fs.mkdir(d, { recursive: true }))
      this.spawnNode(port, [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', d, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '',
        '--protected-mode', 'no', '--min-replicas-to-write', '1', '--min-replicas-max-lag', '10', ...(port === master ? [] : ['--replicaof', '127.0.0.1', String(master)]),
      ], false)
    }
    for (const port of this.dataPorts) await this.waitPing(port)
    // Both replicas attached and in sync (min-replicas-to-write refuses writes until then).
    for (let i = 0; i < 200; i++) {
      const info = await this.ask(master, r => r.info('replication')).catch(() => '')
      if ((info.match(/state=online/g) ?? []).length === replicas.length) break
      await sleep(100)
    }
    for (const port of this.sentinelPorts) {
      const conf = path.join(this.dir, `sentinel-${port}.conf`)
      await writeFile(conf, [
        `port ${port}`, 'bind 127.0.0.1', 'protected-mode no', `dir ${this.dir}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master} 2`,
        `sentinel down-after-milliseconds ${MASTER_NAME} ${this.downAfterMs}`,
        `sentinel failover-timeout ${MASTER_NAME} 10000`,
        `sentinel parallel-syncs ${MASTER_NAME} 1`, '',
      ].join('\n'))
      this.spawnNode(port, [conf, '--sentinel'], true)
    }
    for (const port of this.sentinelPorts) await this.waitPing(port)
    // Ready when every sentinel sees both replicas and the other sentinels.
    for (let i = 0; i < 200; i++) {
      const ok = await Promise.all(this.sentinelPorts.map(p => this.ask(p, async r => {
        const m = await r.call('SENTINEL', 'MASTER', MASTER_NAME) as string[]
        const f = (k: string) => Number(m[m.indexOf(k) + 1])
        return f('num-slaves') === replicas.length && f('num-other-sentinels') === this.sentinelPorts.length - 1
      }).catch(() => false)))
      if (ok.every(Boolean)) return
      await sleep(100)
    }
    throw new Error('the sentinels did not see both replicas and each other within 20 s')
  }

  private ask<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> { return askRedis(port, fn) }

  private async waitPing(port: number): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (await this.ask(port, async r => await r.ping() === 'PONG').catch(() => false)) return
      await sleep(50)
    }
    throw new Error(`redis on ${port} did not answer`)
  }

  /** The master's port as the sentinels say now. */
  async masterPort(): Promise<number> {
    for (const p of this.sentinelPorts) {
      const addr = await this.ask(p, r => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME) as Promise<string[]>).catch(() => undefined)
      if (addr) return Number(addr[1])
    }
    throw new Error('no sentinel answers')
  }

  /** kill -9 the current master (no restart); resolves once the sentinels name a new one. */
  async killMaster(): Promise<{ killed: number; promoted: number }> {
    const killed = await this.masterPort()
    const node = this.nodes.find(n => n.port === killed && !n.sentinel)!
    node.child.kill('SIGKILL')
    this.killedAt = Date.now()
    for (let i = 0; i < 600; i++) {
      const now = await this.masterPort().catch(() => killed)
      if (now !== killed) {
        this.electedAt = Date.now()
        return { killed, promoted: now }
      }
      await sleep(50)
    }
    throw new Error('no new master within 30 s')
  }

  /**
   * SIGSTOP the current master for `ms`, then SIGCONT (what its clients and the sentinels see of a
   * network partition that cuts the master off everyone: no answer; unlike a partition, it also
   * accepts no writes meanwhile). Resolves once the sentinels named a new master (or after `ms`).
   */
  async pauseMaster(ms: number): Promise<{ paused: number; promoted?: number; resumed: Promise<void> }> {
    const paused = await this.masterPort()
    const node = this.nodes.find(n => n.port === paused && !n.sentinel)!
    node.child.kill('SIGSTOP')
    this.killedAt = Date.now()
    const resumed = sleep(ms).then(() => { node.child.kill('SIGCONT') })
    for (let i = 0; i < ms / 50; i++) {
      const now = await this.masterPort().catch(() => paused)
      if (now !== paused) {
        this.electedAt = Date.now()
        return { paused, promoted: now, resumed }
      }
      await sleep(50)
    }
    return { paused, resumed }
  }

  async remove(): Promise<void> {
    for (const n of this.nodes) {
      if (n.child.exitCode !== null || n.child.signalCode !== null) continue
      const exited = new Promise(r => n.child.once('exit', r))
      n.child.kill('SIGCONT')
      n.child.kill('SIGKILL')
      await exited
    }
    this.nodes = []
    await rm(this.dir, { recursive: true, force: true })
  }
}

/** One question to the Redis (or sentinel) on a local port, on a connection that gives up at once. */
export async function askRedis<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true })
  r.on('error', () => undefined)
  try {
    await r.connect()
    return await fn(r)
  } finally {
    r.disconnect()
  }
}
