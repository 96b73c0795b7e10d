/**
 * Domain events of the spine, for features that attach to it (coverage, metrics, timers, …).
 * Listeners are awaited in order; one that throws is logged and does not stop the others.
 */
import type { Announcement, Relay } from '../domain/announcement.ts'
import type { Logger } from '../infra/log.ts'

export interface CascadeEvents {
  /** A new announcement exists (its origin relay is approved). */
  published: { announcement: Announcement }
  /** A relay was opened at a node and its curators asked. */
  'relay-opened': { announcement: Announcement; relay: Relay }
  /** A curator's decision took effect (approve / edit / reject). */
  decided: { announcement: Announcement; relay: Relay }
  /** A post left an account for a group (`say()` returned). */
  sent: { announcement: Announcement; code: string; topic: string; node: string; bot: string; at: number; members?: number }
  /** The account saw its own post come back in the group. */
  confirmed: { code: string; topic: string; at: number }
  /** A post failed for good after its retries. */
  'send-failed': { code: string; topic: string; bot: string; error: string }
  /** A member's acknowledgment was recorded (first time only). */
  ack: { code: string; topic: string; contactId: string; name: string; at: number }
  /** A person proved who they are (personal code, or a confirmed request after new ids) and was bound to a new contact. */
  'rebound': { bot: string; person: string }
  /** Any send of an account finished: for metrics. */
  'send-done': { bot: string; outcome: 'sent' | 'duplicate' | 'failed' | 'backoff' }
}

type Listener<K extends keyof CascadeEvents> = (e: CascadeEvents[K]) => unknown

export class EventBus {
  private readonly listeners = new Map<keyof CascadeEvents, Listener<never>[]>()
  constructor(private readonly log: Logger) {}

  on<K extends keyof CascadeEvents>(name: K, fn: Listener<K>): () => void {
    const list = this.listeners.get(name) ?? []
    list.push(fn as Listener<never>)
    this.listeners.set(name, list)
    return () => { list.splice(list.indexOf(fn as Listener<never>), 1) }
  }

  async emit<K extends keyof CascadeEvents>(name: K, e: CascadeEvents[K]): Promise<void> {
    for (const fn of this.listeners.get(name) ?? []) {
      try {
        await (fn as Listener<K>)(e)
      } catch (err) {
        this.log.error('event.listener-failed', { event: name, err })
      }
    }
  }
}
