/**
 * A Redis Sentinel deployment of the fault suite's own, as processes on loopback (ports 7110–7112
 * for the data nodes as everyone reaches them, 7120–7122 for the sentinels; the `ha` compose
 * profile is the same shape). Each data node listens on 7130–7132 behind a TCP proxy of the
 * suite's (proxy.ts) on 7110–7112: sentinels monitor the proxy, replicas replicate through it and
 * announce it (`replica-announce-ip/port`), so sentinels and clients only ever learn proxy
 * addresses, and cutting a proxy cuts its node off everyone (`partitionMaster`).
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
import { Proxy } from './proxy.ts'

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))
export const MASTER_NAME = 'cascade'

interface Node { port: number; child: ChildProcess; sentinel: boolean }

/** What the cut-off master did with what reached it: write calls done, refused for want of replicas (NOREPLICAS), or as a replica (READONLY). */
export interface OldMasterCounts { writes: number; noreplicas: number; readonly: number }

export class SentinelSet {
  readonly fsync = 'always' as const
  private nodes: Node[] = []
  private proxies: Proxy[] = []
  readonly url: string
  /** When the last kill -9 of the master happened, and when the sentinels had a new master. */
  killedAt?: number
  electedAt?: number

  /** Behind each proxy port (dataPorts), the node's own port. */
  readonly nodePorts: number[]

  private constructor(readonly dir: string, readonly dataPorts: number[], readonly sentinelPorts: number[], readonly downAfterMs: number) {
    this.nodePorts = dataPorts.map(p => p + 20)
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
    for (const [i, port] of this.dataPorts.entries()) {
      const own = this.nodePorts[i]
      const d = path.join(this.dir, String(own))
      await rm(d, { recursive: true, force: true })
      await import('node:fs/promises').then(fs => fs.mkdir(d, { recursive: true }))
      const proxy = new Proxy(port, own)
      await proxy.start()
      this.proxies.push(proxy)
      this.spawnNode(own, [
        '--port', String(own), '--bind', '127.0.0.1', '--dir', d, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '',
        '--protected-mode', 'no', '--min-replicas-to-write', '1', '--min-replicas-max-lag', '10',
        '--replica-announce-ip', '127.0.0.1', '--replica-announce-port', String(port),
        ...(port === master ? [] : ['--replicaof', '127.0.0.1', String(master)]),
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
        `port ${port}`, 'bind 127.0.0.1', 'protected-mode no', `dir ${this.dir}`, `logfile ${path.join(this.dir, `sentinel-${port}.log`)}`,
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

  /** The data node process behind a proxy port. */
  private nodeBehind(port: number): Node {
    const own = this.nodePorts[this.dataPorts.indexOf(port)]
    return this.nodes.find(n => n.port === own && !n.sentinel)!
  }

  /** kill -9 the current master (no restart); resolves once the sentinels name a new one. */
  async killMaster(): Promise<{ killed: number; promoted: number }> {
    const killed = await this.masterPort()
    const node = this.nodeBehind(killed)
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
    const node = this.nodeBehind(paused)
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

  /**
   * Cut the current master off the network for `ms` (its proxy blackholes: sentinels, replicas and
   * clients all lose it; it keeps running, and nobody reaches it), then mend the cable. Resolves
   * once the sentinels named a new master (or after `ms`); `healed` resolves at the mend.
   * `oldMaster()` says what the node did with the commands that reached it late.
   */
  async partitionMaster(ms: number): Promise<{ cut: number; promoted?: number; healed: Promise<void> }> {
    const cut = await this.masterPort()
    const proxy = this.proxies[this.dataPorts.indexOf(cut)]
    const own = this.nodePorts[this.dataPorts.indexOf(cut)]
    this.cutOff = { port: own, before: await this.counts(own) }
    proxy.blackhole()
    this.killedAt = Date.now()
    const healed = sleep(ms).then(() => { proxy.heal() })
    // What the node did while it still took itself for master: counted at its demotion (after it,
    // the replication stream's writes would count too, and clients' writes fail READONLY).
    this.demoted = healed.then(async () => {
      for (let i = 0; i < 600; i++) {
        const role = await askRedis(own, r => r.call('ROLE') as Promise<string[]>).catch(() => undefined)
        if (role?.[0] === 'slave') break
        await sleep(50)
      }
      this.cutOff!.demoted = await this.counts(own)
      this.cutOff!.demotedAfterHealMs = Date.now() - this.killedAt! - ms
    })
    for (let i = 0; i < ms / 50; i++) {
      const now = await this.masterPort().catch(() => cut)
      if (now !== cut) {
        this.electedAt = Date.now()
        return { cut, promoted: now, healed }
      }
      await sleep(50)
    }
    return { cut, healed }
  }

  private cutOff?: { port: number; before: OldMasterCounts; demoted?: OldMasterCounts; demotedAfterHealMs?: number }
  private demoted?: Promise<void>

  /**
   * What the cut-off master (asked on its own port, past the proxy) did from the cut: writes done
   * and NOREPLICAS refusals until it was demoted, READONLY refusals until now.
   */
  async oldMaster(): Promise<(OldMasterCounts & { demotedAfterHealS?: number }) | undefined> {
    if (!this.cutOff) return undefined
    await this.demoted
    const { before: b, demoted: d, demotedAfterHealMs } = this.cutOff
    const now = await this.counts(this.cutOff.port).catch(() => d)
    if (!d || !now) return undefined
    return { writes: d.writes - b.writes, noreplicas: d.noreplicas - b.noreplicas, readonly: now.readonly - b.readonly, demotedAfterHealS: demotedAfterHealMs! / 1000 }
  }

  private async counts(port: number): Promise<OldMasterCounts> {
    const [cmd, err] = await Promise.all([askRedis(port, r => r.info('commandstats')), askRedis(port, r => r.info('errorstats'))])
    // Calls done (`calls` leaves out the rejected ones, e.g. NOREPLICAS; failed ones taken off) of the commands Cascade writes with.
    let writes = 0
    for (const m of cmd.matchAll(/^cmdstat_(\w+):calls=(\d+),[^\n]*?failed_calls=(\d+)/gm)) {
      if (/^(set|hset|hsetnx|del|zadd|zrem|lpush|rpush|lpop|rpop|incr|incrby|hincrby|expire|pexpire|sadd|srem|xadd|eval|evalsha|exec|setnx|hdel|lrem|zpopmin|bzpopmin|rpoplpush|lmove|getdel|fcall)$/.test(m[1])) writes += Number(m[2]) - Number(m[3])
    }
    const e = (k: string) => Number(new RegExp(`^errorstat_${k}:count=(\\d+)`, 'm').exec(err)?.[1] ?? 0)
    return { writes, noreplicas: e('NOREPLICAS'), readonly: e('READONLY') }
  }

  async remove(): Promise<void> {
    for (const p of this.proxies) await p.stop()
    this.proxies = []
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
