/**
 * A demo interrupted with Ctrl+C deletes its namespace before it exits, and while it runs every
 * key of it carries a TTL (issue 14, item 10): a shared Redis keeps nothing of a demo.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { REDIS_URL, ROOT } from '../helpers.ts'

async function keysOf(r: Redis, ns: string): Promise<string[]> {
  const out: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `{${ns}}:*`, 'COUNT', 1000)
    cursor = next
    out.push(...keys)
  } while (cursor !== '0')
  return out
}

describe('an interrupted demo', () => {
  it('gives every key a TTL while it runs, and deletes them all on SIGINT', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'cascade.mjs'), 'demo'], {
      cwd: ROOT, env: { ...process.env, CASCADE_FROM_SOURCE: '1', REDIS_URL, LOG_LEVEL: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const r = new Redis(REDIS_URL)
    try {
      const deadline = Date.now() + 60_000
      while (!out.includes('发布了一条紧急通知') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100))
      const ns = /键空间 \{([^}]+)\}/.exec(out)?.[1]
      expect(ns, out).toMatch(/^demo-/)
      // Mid-run: a key made a moment ago may not have its TTL yet; a second later it has.
      const seen = await keysOf(r, ns!)
      expect(seen.length).toBeGreaterThan(50)
      await new Promise((res) => setTimeout(res, 2500))
      const ttls = await Promise.all(seen.map(async (k) => [k, await r.ttl(k)] as const))
      expect(ttls.filter(([, t]) => t === -1), 'keys without a TTL').toEqual([])

      child.kill('SIGINT')
      expect(await exited).toBe(130)
      expect(out).toContain('已中断（SIGINT）')
      expect(await keysOf(r, ns!)).toEqual([])
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
      await r.quit()
    }
  }, 90_000)
})
