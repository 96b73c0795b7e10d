/** The simulated server's record as the demo's world feed (see webwx-district.ts). */
import type { DemoWorld } from '../demo-types.ts'
import type { WorldMessage } from '../world.ts'
import type { WebWxServer } from './server.ts'

/**
 * The server's record (every group's log and every DM, people's and accounts') as one feed of
 * `WorldMessage`s keyed by world keys, in the shape of the mock world (demo-world.ts). What the
 * simulated people say is in it at once; what the accounts send (over HTTP) within a poll (20 ms).
 */
export class WebWxWorldView implements DemoWorld {
  private readonly said: WorldMessage[] = []
  private readonly listeners: ((m: WorldMessage) => void)[] = []
  /** Records of each group's log and of the DM log already in the feed. */
  private readonly seenIn = new Map<string, number>()
  private seenDms = 0
  private draining = false
  private readonly timer: NodeJS.Timeout

  constructor(private readonly server: WebWxServer, readonly villagersOf: (topic: string) => string[]) {
    this.timer = setInterval(() => { if (this.listeners.length) this.drain() }, 20)
    this.timer.unref()
  }

  /** Every group, by key (= topic). */
  get groups(): ReadonlyMap<string, { topic: string }> { return this.server.world.groups }

  get transcript(): readonly WorldMessage[] {
    this.drain()
    return this.said
  }

  /** Key → nickname, for everyone on the server. */
  get names(): ReadonlyMap<string, string> {
    return new Map([...this.server.world.people.values()].map(p => [p.key, p.nickname]))
  }

  onMessage(fn: (m: WorldMessage) => void): () => void {
    this.drain() // the listener hears what is said from now on
    this.listeners.push(fn)
    return () => { this.listeners.splice(this.listeners.indexOf(fn), 1) }
  }

  sayToBot(person: string, bot: string, text: string): void {
    this.server.say(person, bot, text)
    this.drain()
  }

  sayInGroup(person: string, topic: string, text: string): void {
    this.server.say(person, topic, text)
    this.drain()
  }

  postsIn(topic: string, containing: string): WorldMessage[] {
    return this.transcript.filter(m => m.room === topic && this.isAccount(m.from) && m.text.includes(containing))
  }

  dmsTo(key: string): WorldMessage[] {
    return this.transcript.filter(m => m.to === key && this.isAccount(m.from))
  }

  stop(): void { clearInterval(this.timer) }

  private isAccount(key: string): boolean { return this.server.world.people.get(key)?.account ?? false }

  /** Moves new records into the feed (in time order) and tells the listeners, once each. */
  private drain(): void {
    if (this.draining) return
    this.draining = true
    try {
      for (let fresh = this.collect(); fresh.length; fresh = this.collect()) {
        for (const m of fresh) {
          this.said.push(m)
          for (const fn of [...this.listeners]) fn(m)
        }
      }
    } finally {
      this.draining = false
    }
  }

  private collect(): WorldMessage[] {
    const { world } = this.server
    const nameOf = (key: string) => world.people.get(key)?.nickname ?? key
    const fresh: WorldMessage[] = []
    for (const [topic, log] of world.groupLog) {
      const seen = this.seenIn.get(topic) ?? 0
      for (let i = seen; i < log.length; i++) {
        const m = log[i]!
        fresh.push({ room: topic, from: m.from, fromName: nameOf(m.from), text: m.text, at: m.at })
      }
      this.seenIn.set(topic, log.length)
    }
    for (let i = this.seenDms; i < world.dmLog.length; i++) {
      const m = world.dmLog[i]!
      fresh.push({ from: m.from, fromName: nameOf(m.from), to: m.to, text: m.text, at: m.at })
    }
    this.seenDms = world.dmLog.length
    return fresh.sort((a, b) => a.at - b.at)
  }
}
