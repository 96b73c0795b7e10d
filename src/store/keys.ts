/**
 * Every Redis key of Cascade's domain state, under one namespace with a hash tag
 * (`{cascade}:…`), so all keys live in one slot and the deployment can move to Redis Cluster.
 * BullMQ's queues use the same hash tag through its own `prefix` option.
 */
export class Keys {
  /** e.g. `{cascade}:` */
  readonly base: string
  constructor(readonly ns: string) {
    if (!/^[\w.-]+$/.test(ns)) throw new Error(`namespace "${ns}" may contain only letters, digits, _ . -`)
    this.base = `{${ns}}:`
  }
  /** BullMQ's prefix for this namespace (queue keys become `{ns}:bull:<queue>:…`). */
  get bullPrefix(): string { return `{${this.ns}}:bull` }

  announcement(code: string) { return `${this.base}ann:${code}` }
  announcements() { return `${this.base}anns` }
  relays(code: string) { return `${this.base}relays:${code}` }
  deliveries(code: string) { return `${this.base}deliveries:${code}` }
  /** Codes with a relay pending at a node. */
  pending(node: string) { return `${this.base}pending:${node}` }
  /** The claim taken before a send: at most one post per idempotency key. */
  sendClaim(idem: string) { return `${this.base}send:${idem}` }
  /** The accounts' own messages seen in a group (echo keys by time): settles sends of unknown outcome. */
  echoes(topic: string) { return `${this.base}echoes:${topic}` }
  acks(code: string) { return `${this.base}acks:${code}` }
  ackCounts(code: string) { return `${this.base}ackn:${code}` }
  /** The latest acknowledgment-required announcement posted in a group. */
  latestInGroup(topic: string) { return `${this.base}latest:${topic}` }
  invite(code: string) { return `${this.base}invite:${code}` }
  /** A personal code's hash → person id. */
  personalCode(hash: string) { return `${this.base}personal:${hash}` }
  /** personId bound to a contact of one bot account. */
  contactBinding(bot: string, contactId: string) { return `${this.base}bind:${bot}:${contactId}` }
  /** bot id → contact id, for one person. */
  personBindings(person: string) { return `${this.base}person:${person}` }
  /** person → the WeChat nickname their contact had on one account when last bound or seen (hash). */
  boundNicknames(bot: string) { return `${this.base}nick:${bot}` }
  /** A contact asked to confirm that it is a person after new WeChat ids → that person (TTL). */
  rebindAsk(bot: string, contactId: string) { return `${this.base}rebindask:${bot}:${contactId}` }
  /** The group a contact last spoke in, as one account saw it (routes their private messages). */
  spokeIn(bot: string, contactId: string) { return `${this.base}spoke:${bot}:${contactId}` }
  botAlive(bot: string) { return `${this.base}alive:${bot}` }
  /** Held by an account taking over some of this account's waiting posts. */
  takeOver(bot: string) { return `${this.base}takeover:${bot}` }
  /** Contact ids of all bot accounts (their own messages are not villagers'). */
  botContacts() { return `${this.base}botcontacts` }
  audit(code: string) { return `${this.base}audit:${code}` }
  /** Exists once an announcement is cancelled (checked atomically before every post). */
  cancelled(code: string) { return `${this.base}cancelled:${code}` }
  /** Codes of the corrections (CAP `update`) of an announcement: a retraction withdraws them too. */
  corrections(code: string) { return `${this.base}corrections:${code}` }
  /** The code published under a caller's key (`publishOnce`: a notice handed down by the province), or `-` when called off first. */
  once(key: string) { return `${this.base}once:${key}` }
  /** Marks a timer-driven audit event as recorded (timers may fire twice). */
  auditOnce(code: string, what: string) { return `${this.base}auditonce:${code}:${what}` }
  /** Everything in this namespace (for tests and the demo to clean up). */
  pattern() { return `{${this.ns}}:*` }
}
