/**
 * The send claim an outbox worker takes before say(), and the settling of a claim that an
 * earlier try left behind (its process died, froze, or its say() never answered).
 */
import { DelayedError, type Job } from 'bullmq'
import type { SendJob } from '../queue/outbox.ts'
import type { Account } from './account.ts'

/**
 * A send whose say() began this long ago without a result is settled: confirmed if the post was
 * seen in the group (by any account sitting there), else sent again marked 【补发】 (so at most
 * one extra post, and only when a crash fell between the send and its echo). Longer than the
 * send timeout, so a say() still in flight has ended; short enough that a crashed send is settled
 * within a minute (docs/FAULTS.md, "Recovery within a minute").
 */
export const SETTLE_AFTER_MS = 45_000

/**
 * Takes the send claim: ours to send (`resend` when an earlier try may have posted and its post
 * was not seen in the group: sent again marked 【补发】), or the outcome when there is nothing
 * to send ('duplicate', 'settled'). A claim left at `sending:` never reached say(): taken over at
 * once, sent unmarked. A claim at `saying:` may be a send in flight: the job waits until it is
 * old enough to settle.
 */
export async function takeClaim(acc: Account, job: Job<SendJob>, settleAfterMs: number, token?: string): Promise<{ value: string; resend: boolean } | 'duplicate' | 'settled'> {
  const { data } = job
  const store = acc.app.store
  const mine = await store.sends.claimSend(data.idem, acc.id)
  if (mine) return { value: mine, resend: false }
  const claim = await store.sends.sendClaim(data.idem)
  if (claim === null) {
    const value = await store.sends.claimSend(data.idem, acc.id)
    return value ? { value, resend: false } : 'duplicate'
  }
  if (claim.startsWith('sending:')) {
    // Claimed and never said (its worker died or froze before say()): nothing can have gone out.
    const value = await store.sends.retakeSend(data.idem, claim, acc.id)
    if (!value) return 'duplicate'
    acc.log.warn('send.settled', { idem: data.idem, outcome: 'claimed, never said: sent now' })
    return { value, resend: false }
  }
  if (claim.startsWith('sent:')) {
    // Posted; a process that died before recording it leaves the delivery `sending`.
    if (data.delivery) await store.patchDelivery(data.delivery.code, data.delivery.topic, ['sending'], { state: 'sent', sentAt: Number(claim.split(':').pop()) })
    acc.log.info('send.duplicate', { idem: data.idem })
    await acc.app.events.emit('send-done', { bot: acc.id, outcome: 'duplicate' })
    return 'duplicate'
  }
  const claimedAt = Number(claim.split(':').pop()) || 0
  const settleAt = claimedAt + settleAfterMs
  if (Date.now() < settleAt) {
    await job.moveToDelayed(settleAt, token)
    throw new DelayedError()
  }
  if (data.target.kind === 'group' && await acc.app.deliveries.seenInGroup(data.target.topic, data.text, claimedAt)) {
    await store.sends.markSent(data.idem, acc.id)
    if (data.delivery) await acc.app.deliveries.confirm(data.delivery.code, data.delivery.topic, ['sending', 'queued'])
    acc.log.warn('send.settled', { idem: data.idem, outcome: 'seen in the group' })
    await acc.app.events.emit('send-done', { bot: acc.id, outcome: 'duplicate' })
    return 'settled'
  }
  const value = await store.sends.retakeSend(data.idem, claim, acc.id)
  if (!value) return 'duplicate' // another worker settles it
  acc.log.warn('send.settled', { idem: data.idem, outcome: 'not seen: sent again, marked 补发' })
  return { value, resend: true }
}
