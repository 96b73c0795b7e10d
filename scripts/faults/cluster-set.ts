/**
 * A Redis Cluster as local processes: 6 nodes on base…base+5 (3 masters, 3 replicas,
 * `redis-cli --cluster create … --cluster-replicas 1`), `cluster-node-timeout` 2 s (a master
 * unreachable that long is replaced by its replica). The fault suite's: base 7140, AOF `always`;
 * the province bench (bench/fanout/province.ts) starts one on 7200 without persistence.
 *
 * The fault: kill -9 of the master holding the run's namespace (`{ns}`'s slot), not restarted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Redis } from 'ioredis'
import { askRedis } from './sentinel-set.ts'

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

export interface ClusterSetOptions {
  /** Where the nodes' directories go (a temp dir inside it, removed by `remove()`). */
  parentDir?: string
  nodeTimeoutMs?: number
  /** The first of the 6 ports (default 7140, the fault suite's). */
  base?: number
  /** AOF with `appendfsync always` (default, the fault suite's), or no persistence at all (`off`, a bench). */
  fsync?: 'always' | 'off'
}

export class ClusterSet {
  readonly url: string
  private procs = new Map<number, ChildProcess>()
  killedAt?: number
  electedAt?: number

  private constructor(readonly dir: string, readonly ports: number[], readonly nodeTimeoutMs: number, readonly fsync: 'always' | 'off') {
    this.url = `redis-cluster://${ports.slice(0, 3).map(p => `127.0.0.1:${p}`).join(',')}`
  }

  static async create({ parentDir = os.tmpdir(), nodeTimeoutMs = 2_000, base = 7140, fsync = 'always' }: ClusterSetOptions = {}): Promise<ClusterSet> {
    const dir = await mkdtemp(path.join(parentDir, 'cascade-cluster-'))
    const s = new ClusterSet(dir, [0, 1, 2, 3, 4, 5].map(i => base + i), nodeTimeoutMs, fsync)
    await s.start()
    return s
  }

  get running(): boolean { return true }
  resume(): void { /* nothing paused */ }

  private ask<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> { return askRedis(port, fn) }

  async start(): Promise<void> {
    for (const port of this.ports) {
      const d = path.join(this.dir, String(port))
      await mkdir(d, { recursive: true })
      this.procs.set(port, spawn('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', d, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
        '--cluster-node-timeout', String(this.nodeTimeoutMs), '--save', '', '--protected-mode', 'no',
        ...(this.fsync === 'always' ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      ], { stdio: 'ignore' }))
    }
    for (const port of this.ports) {
      for (let i = 0; i < 100 && !await this.ask(port, async r => await r.ping() === 'PONG').catch(() => false); i++) await sleep(50)
    }
    const made = spawnSync('redis-cli', ['--cluster', 'create', ...this.ports.map(p => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { encoding: 'utf8' })
    if (made.status !== 0) throw new Error(`redis-cli --cluster create failed: ${made.stderr || made.stdout}`)
    for (let i = 0; i < 200; i++) {
      const ok = await Promise.all(this.ports.map(p => this.ask(p, async r => String(await r.call('CLUSTER', 'INFO')).includes('cluster_state:ok')).catch(() => false)))
      if (ok.every(Boolean)) return
      await sleep(100)
    }
    throw new Error('the cluster did not reach cluster_state:ok within 20 s')
  }

  /** The port of the master serving a key's slot, as a live node says. */
  async masterOf(key: string, exclude?: number): Promise<number> {
    for (const p of this.ports.filter(p => p !== exclude)) {
      const port = await this.ask(p, async r => {
        const slot = Number(await r.call('CLUSTER', 'KEYSLOT', key))
        const ranges = await r.call('CLUSTER', 'SLOTS') as [number, number, [string, number]][]
        const range = ranges.find(([from, to]) => slot >= from && slot <= to)
        return range ? Number(range[2][1]) : undefined
      }).catch(() => undefined)
      if (port) return port
    }
    throw new Error('no cluster node answers')
  }

  /** kill -9 the master holding `{ns}`'s slot; resolves once its replica serves the slot. */
  async killMasterOf(ns: string): Promise<{ killed: number; promoted: number }> {
    const key = `{${ns}}:x`
    const killed = await this.masterOf(key)
    this.procs.get(killed)!.kill('SIGKILL')
    this.killedAt = Date.now()
    for (let i = 0; i < 600; i++) {
      const now = await this.masterOf(key, killed).catch(() => killed)
      if (now !== killed) {
        this.electedAt = Date.now()
        return { killed, promoted: now }
      }
      await sleep(50)
    }
    throw new Error('no replica took the slot over within 30 s')
  }

  /** On the way out of a process that cannot wait (its 'exit' handler): kill -9 every node still running. */
  killNow(): void {
    for (const c of this.procs.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  }

  async remove(): Promise<void> {
    for (const c of this.procs.values()) {
      if (c.exitCode !== null || c.signalCode !== null) continue
      const exited = new Promise(r => c.once('exit', r))
      c.kill('SIGKILL')
      await exited
    }
    this.procs.clear()
    await rm(this.dir, { recursive: true, force: true })
  }
}
