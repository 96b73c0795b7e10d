/**
 * Issue 28: a connection through the sentinels leaves a master that stops answering without
 * closing (frozen here; cut off the network in the fault suite) at the sentinels' election, not
 * when the old master answers again; and it closes its failover subscriptions with itself.
 * A private deployment on free ports: a master, a replica, one sentinel (quorum 1).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, newRedis } from '../../src/infra/redis.ts'
import { waitFor } from '../helpers.ts'

const procs: ChildProcess[] = []
let dir = ''
let master = 0, replica = 0, sentinel = 0

const ask = async <T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> => {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 1 })
  r.on('error', () => undefined)
  try { await r.connect(); return await fn(r) } finally { r.disconnect() }
}

/** Failover subscriptions the sentinel serves. */
const sentinelClients = () => ask(sentinel, async r => (await r.call('CLIENT', 'LIST') as string).split('\n').filter(l => / cmd=subscribe /.test(l)).length)

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cascade-sentinel-test-'))
  ;[master, replica, sentinel] = [await freePort(), await freePort(), await freePort()]
  const server = (port: number, ...extra: string[]) => procs.push(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra], { stdio: 'ignore' }))
  server(master)
  server(replica, '--replicaof', '127.0.0.1', String(master))
  await waitFor('the replica in sync', async () => /state=online/.test(await ask(master, r => r.info('replication')).catch(() => '')), 20_000)
  const conf = path.join(dir, 'sentinel.conf')
  await writeFile(conf, [`port ${sentinel}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor t 127.0.0.1 ${master} 1`,
    'sentinel down-after-milliseconds t 1000', 'sentinel failover-timeout t 5000', ''].join('\n'))
  procs.push(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }))
  await waitFor('the sentinel sees the replica', () => ask(sentinel, async r => (await r.call('SENTINEL', 'REPLICAS', 't') as unknown[]).length === 1).catch(() => false), 20_000)
})

afterAll(async () => {
  for (const p of procs) { p.kill('SIGCONT'); p.kill('SIGKILL') }
  await rm(dir, { recursive: true, force: true })
})

describe('a connection through the sentinels', () => {
  it('closes its failover subscriptions on quit()', async () => {
    const before = await sentinelClients()
    const r = newRedis(`redis-sentinel://127.0.0.1:${sentinel}/t`)
    expect(await r.set('k', 'v')).toBe('OK')
    await expect.poll(sentinelClients).toBeGreaterThan(before)
    await r.quit()
    await expect.poll(sentinelClients).toBe(before)
  })

  it('follows the election while the old master is frozen', async () => {
    const r = newRedis(`redis-sentinel://127.0.0.1:${sentinel}/t`)
    r.on('error', () => undefined)
    try {
      expect(await r.set('before', '1')).toBe('OK')
      await expect.poll(sentinelClients).toBeGreaterThan(0) // its failover subscription
      const old = procs[0]
      old.kill('SIGSTOP')
      // Sent to the frozen master: answered only once the connection moved to the promoted replica.
      const written = r.set('during', '2')
      await expect.poll(() => ask(sentinel, r => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 't') as Promise<string[]>), { timeout: 25_000 }).toEqual(['127.0.0.1', String(replica)])
      expect(await written).toBe('OK')
      expect(await ask(replica, r => r.get('during'))).toBe('2')
      expect(old.signalCode).toBeNull() // still frozen, not dead: nothing closed the connection for us
    } finally {
      r.disconnect()
    }
  }, 60_000)
})
