/**
 * Every stuck record is recovered within a minute of the crash that left it, by construction:
 * the longest path of each kind, from the defaults (the fault suite measures them: docs/FAULTS.md).
 */
import { describe, expect, it } from 'vitest'
import { OUTBOX_LOCK_MS, OUTBOX_STALL_CHECK_MS, SEND_TIMEOUT_MS } from '../../src/chat/outbox-worker.ts'
import { SETTLE_AFTER_MS } from '../../src/chat/send-claim.ts'
import { RECOVERY_GRACE_MS, RECOVERY_INTERVAL_MS } from '../../src/spine/recovery.ts'

const MINUTE = 60_000

describe('recovery bounds (defaults)', () => {
  it('a forward or a post left by a dead process: found by a recovery pass within a minute', () => {
    expect(RECOVERY_GRACE_MS + RECOVERY_INTERVAL_MS).toBeLessThan(MINUTE)
  })
  it('a send in flight in a dead process: run again (lock lapsed, stall seen) and settled within a minute', () => {
    expect(OUTBOX_LOCK_MS + OUTBOX_STALL_CHECK_MS).toBeLessThan(MINUTE)
    expect(SETTLE_AFTER_MS).toBeLessThan(MINUTE)
    // A say() still in flight has ended (or timed out) before its send is settled by another worker.
    expect(SETTLE_AFTER_MS).toBeGreaterThan(SEND_TIMEOUT_MS)
  })
})
