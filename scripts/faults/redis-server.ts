/**
 * A private redis-server for the fault suite and the durability figures: loopback, a port of
 * 6390–6399 nobody answers on, AOF on (everysec or always) in its own temp dir, no RDB
 * snapshots, no automatic AOF rewrite (so the append-only file being written stays one file).
 *
 * Faults: SHUTDOWN (clean), kill -9, SIGSTOP/SIGCONT, and a power failure: kill -9, then the
 * AOF cut back to its size of `lossMs` earlier — what a machine losing power loses of writes
 * not yet fsynced. Under `appendfsync everysec` that is up to about a second of writes; under
 * `always` Redis fsyncs before it answers, so nothing a client was told is lost (the suite
 * models that as a cut of 0 ms).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises'
import { createConnection } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { redisAnswers } from '../../src/infra/redis.ts'
import { Redis } from 'ioredis'

export type Fsync = 'everysec' | 'always'

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

function portAnswers(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const s = createConnection({ host: '127.0.0.1', port })
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}

/** The first port of 6390–6399 on which nothing listens. */
export async function freeSuitePort(from = 6390, to = 6399): Promise<number> {
  for (let p = from; p <= to; p++) if (!await portAnswers(p)) return p
  throw new Error(`no free port in ${from}–${to} for the suite's redis-server`)
}

export class RedisServer {
  private child?: ChildProcess
  private sampler?: NodeJS.Timeout
  /** AOF size over time (the file being appended to), for the power-failure cut. */
  private samples: { at: number; file: string; size: number }[] = []
  readonly url: string

  private constructor(readonly port: number, readonly dir: string, readonly fsync: Fsync) {
    this.url = `redis://127.0.0.1:${port}`
  }

  static async create(fsync: Fsync, port?: number, parentDir = os.tmpdir()): Promise<RedisServer> {
    const dir = await mkdtemp(path.join(parentDir, 'cascade-faults-redis-'))
    const s = new RedisServer(port ?? await freeSuitePort(), dir, fsync)
    await s.start()
    return s
  }

  get pid(): number | undefined { return this.child?.pid }
  get running(): boolean { return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null }

  async start(): Promise<void> {
    if (await portAnswers(this.port)) throw new Error(`port ${this.port} is taken`)
    const child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
      '--appendonly', 'yes', '--appendfsync', this.fsync, '--save', '',
      '--auto-aof-rewrite-percentage', '0', '--aof-load-truncated', 'yes', '--protected-mode', 'yes',
    ], { stdio: ['ignore', 'ignore', 'inherit'] })
    this.child = child
    await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject) })
    for (let i = 0; i < 200; i++) {
      if (await this.ping()) break
      await sleep(50)
    }
    if (!await this.ping()) throw new Error(`redis-server on ${this.port} did not answer`)
    this.samples = []
    clearInterval(this.sampler)
    this.sampler = setInterval(() => { void this.sample() }, 50)
    this.sampler.unref()
  }

  /** Loading the AOF answers -LOADING: not ready yet. */
  private ping(): Promise<boolean> {
    return redisAnswers(`redis://127.0.0.1:${this.port}`, 500)
  }

  /** The AOF file being appended to (Redis 7: appendonlydir/<name>.<n>.incr.aof, the highest n). */
  private async aofFile(): Promise<string | undefined> {
    const d = path.join(this.dir, 'appendonlydir')
    const files = (await readdir(d).catch(() => [] as string[])).filter(f => f.endsWith('.incr.aof'))
    if (!files.length) return undefined
    const seq = (f: string) => Number(f.match(/\.(\d+)\.incr\.aof$/)?.[1] ?? 0)
    files.sort((a, b) => seq(a) - seq(b))
    return path.join(d, files[files.length - 1])
  }

  private async sample(): Promise<void> {
    const file = await this.aofFile()
    if (!file) return
    const size = (await stat(file).catch(() => undefined))?.size
    if (size === undefined) return
    const at = Date.now()
    this.samples.push({ at, file, size })
    while (this.samples.length && this.samples[0].at < at - 10_000) this.samples.shift()
  }

  private async exited(): Promise<void> {
    const c = this.child
    if (!c || c.exitCode !== null || c.signalCode !== null) return
    await new Promise(r => c.once('exit', r))
  }

  /** A clean SHUTDOWN (the AOF is flushed). */
  async shutdown(): Promise<void> {
    clearInterval(this.sampler)
    const r = new Redis({ port: this.port, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => null })
    r.on('error', () => undefined)
    await r.call('SHUTDOWN').catch(() => undefined)
    r.disconnect()
    await this.exited()
  }

  async kill9(): Promise<void> {
    clearInterval(this.sampler)
    this.child?.kill('SIGKILL')
    await this.exited()
  }

  pause(): void { this.child?.kill('SIGSTOP') }
  resume(): void { this.child?.kill('SIGCONT') }

  /**
   * A power failure: kill -9, then the AOF cut back to its size `lossMs` ago (writes not yet
   * fsynced are gone). Returns the bytes cut.
   */
  async powerLoss(lossMs: number): Promise<number> {
    const at = Date.now()
    await this.sample()
    await this.kill9()
    const now = this.samples[this.samples.length - 1]
    if (!now || lossMs <= 0) return 0
    const before = [...this.samples].reverse().find(s => s.at <= at - lossMs && s.file === now.file)
    const keep = before?.size ?? 0
    const size = (await stat(now.file)).size
    await truncate(now.file, keep)
    return size - keep
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler)
    if (this.running) {
      this.child!.kill('SIGCONT')
      this.child!.kill('SIGTERM')
      await this.exited()
    }
  }

  async remove(): Promise<void> {
    await this.stop()
    await rm(this.dir, { recursive: true, force: true })
  }
}
