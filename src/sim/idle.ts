/** Waiting for a simulated district's sends to run out (tests, the demo, benchmarks). */
import type { Outboxes } from '../queue/outbox.ts'

/** Resolves once the accounts' outboxes are empty (nothing waiting, running or delayed) for `quietMs`. */
export async function outboxesIdle(outboxes: Outboxes, bots: string[], timeoutMs: number, quietMs: number, pollMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let quietSince = 0
  while (Date.now() < deadline) {
    const backlog = (await Promise.all(bots.map(b => outboxes.backlog(b)))).reduce((a, b) => a + b, 0)
    if (backlog === 0) {
      quietSince ||= Date.now()
      if (Date.now() - quietSince >= quietMs) return
    } else quietSince = 0
    await new Promise(r => setTimeout(r, pollMs))
  }
  throw new Error(`outboxes still busy after ${timeoutMs} ms`)
}
