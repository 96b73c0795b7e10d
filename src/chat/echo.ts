/**
 * Confirming a post by seeing it come back: the account's own message, echoed into the room.
 *
 * Web WeChat hands the text back changed: `&amp;` left escaped, `<br/>` for line breaks, emoji
 * as `<span class="emoji …">` (some swapped for others, unknown ones as `*`, FE0F dropped), and a
 * room text containing ":\n" cut by the puppet, which keeps one piece between two ":\n" (the
 * second piece of the account's own message: it takes what it thinks is a sender prefix off).
 * So a post and its echo are compared by their letters and digits only, and an echo may be one
 * ":\n"-piece of the post, or a long enough part of it.
 *
 * Waits are kept per group in the order posted; an echo confirms the oldest matching one. A wait
 * whose echo never comes (the server does not echo, the process restarted) expires: the post
 * stays `sent` in the status tree, which is true.
 */
import { echoConfirms, echoKey, echoTarget } from '../domain/echo-text.ts'

export { decodeWebText, echoConfirms, echoKey, echoTarget, type EchoTarget } from '../domain/echo-text.ts'

/** How long a post waits for its echo before it is left at `sent`. */
export const ECHO_WAIT_MS = 10 * 60_000

export interface EchoWait<T> { topic: string; key: string; pieces: string[]; at: number; value: T }

/** Posts waiting for their echo, per group. */
export class EchoWaits<T> {
  private readonly byTopic = new Map<string, EchoWait<T>[]>()

  constructor(private readonly ttlMs = ECHO_WAIT_MS, private readonly now: () => number = Date.now) {}

  get size(): number {
    let n = 0
    for (const list of this.byTopic.values()) n += list.length
    return n
  }

  add(topic: string, text: string, value: T): EchoWait<T> {
    this.expire()
    const wait = { topic, ...echoTarget(text), at: this.now(), value }
    const list = this.byTopic.get(topic) ?? []
    list.push(wait)
    this.byTopic.set(topic, list)
    return wait
  }

  remove(wait: EchoWait<T>): void {
    const list = this.byTopic.get(wait.topic)
    if (!list) return
    const i = list.indexOf(wait)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) this.byTopic.delete(wait.topic)
  }

  /** The oldest wait in the group that this echoed text confirms (and takes it out), if any. */
  take(topic: string, echoed: string): EchoWait<T> | undefined {
    this.expire()
    const list = this.byTopic.get(topic)
    if (!list) return undefined
    const key = echoKey(echoed)
    const wait = list.find(w => echoConfirms(key, w))
    if (wait) this.remove(wait)
    return wait
  }

  /** Drops waits older than the time limit; returns them. */
  expire(): EchoWait<T>[] {
    const limit = this.now() - this.ttlMs
    const gone: EchoWait<T>[] = []
    for (const [topic, list] of this.byTopic) {
      while (list.length && list[0].at < limit) gone.push(list.shift()!)
      if (list.length === 0) this.byTopic.delete(topic)
    }
    return gone
  }
}
