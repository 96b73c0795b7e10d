/**
 * A composed process whose Redis is gone says so once in its log — whichever process it is
 * (serve, run, the demo, the simulated district of the fault suite) — and ioredis never prints a
 * failed reconnect as an "Unhandled error event". The fault suite counted 3–4 such lines per
 * process after a Redis power loss before compose() watched its own connection.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { compose, type Composed } from '../../src/app/compose.ts'
import { freePort } from '../../src/infra/redis.ts'
import type { Logger } from '../../src/infra/log.ts'
import { demoConfig, waitFor } from '../helpers.ts'

function memoryLogger(events: string[]): Logger {
  const at = () => (event: string) => { events.push(event) }
  const l: Logger = { debug: at(), info: at(), warn: at(), error: at(), child: () => l }
  return l
}

let composed: Composed | undefined
afterEach(async () => {
  vi.restoreAllMocks()
  await composed?.close().catch(() => undefined)
  composed = undefined
})

describe('compose() and a Redis that does not answer', () => {
  it('logs the lost connection once and leaves nothing unhandled', async () => {
    const consoleErrors: string[] = []
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => { consoleErrors.push(args.map(String).join(' ')) })
    const events: string[] = []
    composed = compose({ cfg: await demoConfig(), redisUrl: `redis://127.0.0.1:${await freePort()}`, ns: 'compose-lost', log: memoryLogger(events) })
    await waitFor('the lost connection in the log', () => events.includes('redis.connection-lost') || undefined)
    // ioredis retries every few hundred ms; give it several attempts.
    await new Promise(resolve => setTimeout(resolve, 1500))
    expect(events.filter(e => e === 'redis.connection-lost')).toHaveLength(1)
    expect(consoleErrors.filter(l => l.includes('Unhandled error event'))).toEqual([])
  })
})
