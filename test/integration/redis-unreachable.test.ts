/**
 * Redis unreachable: one-shot commands give up within a few seconds with one sentence (which
 * URL, what to check) and exit 1; `serve` and `run` say so once, answer /readyz 503 with the
 * reason, start once Redis answers, and stop at once on SIGTERM. The real `cascade` command,
 * from the TypeScript sources, against a port where nothing listens (then a redis-server).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { describeRedisError, isConnectionError, probeRedis, redactUrl, RedisUnreachable } from '../../src/infra/redis-reach.ts'
import { freePort } from '../../src/infra/redis.ts'
import { ROOT, waitFor } from '../helpers.ts'

const BIN = path.join(ROOT, 'bin', 'cascade.mjs')
const children: ChildProcess[] = []
afterEach(() => { for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL') })


interface Run { child: ChildProcess; out: () => string; err: () => string; exited: Promise<{ code: number | null }> }

function cascade(args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT, env: { ...process.env, CASCADE_FROM_SOURCE: '1', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { err += d.toString() })
  const exited = new Promise<{ code: number | null }>(resolve => child.once('exit', code => resolve({ code })))
  return { child, out: () => out, err: () => err, exited }
}

/** The JSON log lines of a process's stderr, by event. */
function events(err: string): string[] {
  return err.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l).event as string)
}

async function getJson(url: string): Promise<{ status: number; body: any } | undefined> {
  try {
    const r = await fetch(url)
    return { status: r.status, body: await r.json() }
  } catch {
    return undefined
  }
}

describe('Redis unreachable', () => {
  it('says what went wrong in words, never with the password', async () => {
    expect(redactUrl('redis://:s3cret@redis:6379/2')).toBe('redis://:***@redis:6379/2')
    expect(new RedisUnreachable('redis://:s3cret@redis:6379', 'x').message).not.toContain('s3cret')
    // Sentinel and cluster connection strings (several hosts) are no URL to the parser: redacted all the same.
    expect(redactUrl('redis-sentinel://:s3cret@redis-sentinel-1:26379,redis-sentinel-2:26379/cascade')).toBe('redis-sentinel://:***@redis-sentinel-1:26379,redis-sentinel-2:26379/cascade')
    expect(redactUrl('redis-cluster://app:s3cret@10.0.0.1:7000,10.0.0.2:7000')).toBe('redis-cluster://app:***@10.0.0.1:7000,10.0.0.2:7000')
    expect(redactUrl('redis-cluster://10.0.0.1:7000,10.0.0.2:7000')).toBe('redis-cluster://10.0.0.1:7000,10.0.0.2:7000')
    // What BullMQ's connections emit during a Sentinel failover: reported once by watchRedis, not by every worker.
    expect(isConnectionError(new Error('All sentinels are unreachable. Retrying from scratch after 10ms.'))).toBe(true)
    expect(isConnectionError(new Error('ERR unknown command'))).toBe(false)
    expect(describeRedisError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 1000)).toBe('nothing listens there (connection refused)')
    expect(describeRedisError(new Error('WRONGPASS invalid username-password pair'), 1000)).toMatch(/refused the password/)
    expect(await probeRedis(`redis://127.0.0.1:${await freePort()}`)).toBe('nothing listens there (connection refused)')
    expect(await probeRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')).toBeUndefined()
  })

  it('one-shot commands give up within seconds with one sentence and exit 1', async () => {
    const url = `redis://:pw@127.0.0.1:${await freePort()}`
    const runs = [['status', 'A7K2'], ['publish', '--node', 'chaotian', '--text', '测试'], ['demo']].map(args => cascade(args, { REDIS_URL: url }))
    for (const r of runs) {
      const { code } = await r.exited
      expect(code, r.err()).toBe(1)
      const lines = r.err().trim().split('\n')
      expect(lines, r.err()).toHaveLength(1)
      expect(lines[0]).toMatch(/^Cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: nothing listens there \(connection refused\)\. Check that Redis runs there and that REDIS_URL names it/)
    }
  }, 60_000)

  it('serve says so once, answers /readyz 503 with the reason, starts when Redis comes, stops at once', async () => {
    const [redisPort, port] = [await freePort(), await freePort()]
    const serve = cascade(['serve'], { REDIS_URL: `redis://127.0.0.1:${redisPort}`, PORT: String(port), HOST: '127.0.0.1', CASCADE_NS: `test-unreach-${Date.now().toString(36)}`, CASCADE_API_TOKEN: 'x'.repeat(40) })
    const ready = await waitFor('/readyz', () => getJson(`http://127.0.0.1:${port}/readyz`), 20_000)
    expect(ready.status).toBe(503)
    expect(ready.body).toMatchObject({ ready: false, redis: false })
    expect(ready.body.reason).toContain(`Redis at redis://127.0.0.1:${redisPort} unreachable`)
    expect((await getJson(`http://127.0.0.1:${port}/healthz`))?.status).toBe(200)
    expect((await getJson(`http://127.0.0.1:${port}/api/announcements/A7K2`))?.status).toBe(503)
    // /metrics still Prometheus text, Redis said down; the command centre a Chinese page (issue 26 item 2).
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`)
    expect(metrics.status).toBe(200)
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await metrics.text()
    expect(text).toMatch(/^cascade_redis_up\{role="serve"\} 0$/m)
    expect(text).toMatch(/^process_cpu_seconds_total\{role="serve"\} /m)
    const login = await fetch(`http://127.0.0.1:${port}/cc/login`)
    expect(login.status).toBe(503)
    expect(login.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await login.text()).toContain('指挥中心暂不可用')
    await new Promise(r => setTimeout(r, 3_500)) // two more tries (1 s, 2 s): still said once
    expect(events(serve.err()).filter(e => e === 'redis.unreachable')).toHaveLength(1)
    expect(events(serve.err())).not.toContain('serve.started')
    expect(serve.err()).not.toMatch(/ECONNREFUSED|\n\s+at /)

    const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    children.push(redis)
    await waitFor('serve started', () => events(serve.err()).includes('serve.started'), 20_000)
    expect(events(serve.err())).toContain('redis.reachable')
    const after = await getJson(`http://127.0.0.1:${port}/readyz`)
    expect(after?.body).toMatchObject({ redis: true })
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(/^cascade_redis_up\{role="serve"\} 1$/m)

    serve.child.kill('SIGTERM')
    const { code } = await serve.exited
    expect(code).toBe(0)
    redis.kill('SIGTERM')
  }, 60_000)

  it('run says so once and stops at once on SIGTERM while it waits', async () => {
    const port = await freePort()
    const bot = cascade(['run', 'bots/bot-north.yaml'], { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, PORT: String(port), HOST: '127.0.0.1' })
    await waitFor('redis.unreachable', () => events(bot.err()).includes('redis.unreachable'), 20_000)
    // A bot process's own /metrics (issue 26 item 2), Prometheus text while Redis is down; /readyz 503.
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    expect(text).toMatch(/^cascade_redis_up\{role="bot",bot="bot-north"\} 0$/m)
    expect((await getJson(`http://127.0.0.1:${port}/readyz`))?.status).toBe(503)
    await new Promise(r => setTimeout(r, 1_500))
    bot.child.kill('SIGTERM')
    const { code } = await bot.exited
    expect(code).toBe(0)
    // Stopped out of its back-off wait by itself, not by the stop deadline (exit 1): no clock compared.
    expect(events(bot.err())).toContain('process.stopped')
    expect(events(bot.err())).not.toContain('process.stop-timeout')
    expect(events(bot.err()).filter(e => e === 'redis.unreachable')).toHaveLength(1)
    expect(bot.err()).not.toMatch(/ECONNREFUSED|\n\s+at /)
  }, 40_000)
})
