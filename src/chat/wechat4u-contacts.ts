/**
 * The account's contact list and its groups' member lists, loaded so that one failure costs a
 * retry, never a wrong picture (docs/ARCHITECTURE.md, "The real WeChat client").
 *
 * As installed, wechat4u loads the list (webwxgetcontact, paged) once per session: one failed
 * page (a reset, a 5xx, "the amount of your chatrooms") leaves it empty or half, for good, and
 * every group and person looks missing. Group member lists come in one webwxbatchgetcontact for
 * all groups; a record with an empty or partial list (real servers send both) replaces the whole
 * list, so member counts fall 4 → 1 → 0. Here:
 * - the list is loaded again until every page has come (2 s doubling to 1 min), said each time
 *   (`contacts-failed`) and once loaded (`contacts-loaded`); `loaded()` resolves only then;
 * - member lists are fetched in batches of at most 50 groups, a failed batch tried again later;
 * - a group record whose list is empty or shorter than its count keeps the members known so far
 *   (newer names win), and the group's full list is fetched again; so do joins and removals.
 */
import { describeFailure, retryDelay } from './client-events.ts'
import { pause, type ClientContext, type RawContact } from './wechat4u-client.ts'

function isRoom(c: RawContact | undefined): c is RawContact { return Boolean(c?.UserName?.startsWith('@@')) }

/** A group record whose member list is complete (its count, when given, is matched). */
export function hasFullMembers(c: RawContact): boolean {
  const n = c.MemberList?.length ?? 0
  return n > 0 && n >= Number(c.MemberCount ?? 0)
}

/** The members known so far, with those of a partial record (newer names win). */
export function mergeMembers(known: RawContact[], partial: RawContact[]): RawContact[] {
  const byId = new Map(known.map(m => [m.UserName, m]))
  for (const m of partial) byId.set(m.UserName, { ...byId.get(m.UserName), ...m })
  return [...byId.values()]
}

export class ContactLoader {
  private generation = 0
  private done = false
  private waiters: (() => void)[] = []
  /** Groups whose full member list is to be fetched. */
  private readonly stale = new Set<string>()
  private refreshing = false
  /** Groups whose record just came from webwxbatchgetcontact: their list is the server's whole answer. */
  private readonly fetched = new Set<string>()

  constructor(private readonly ctx: ClientContext) {}

  get isLoaded(): boolean { return this.done }

  /** Resolves true once the list of the current session has loaded, false after `timeoutMs`. */
  loaded(timeoutMs: number): Promise<boolean> {
    if (this.done) return Promise.resolve(true)
    return new Promise(resolve => {
      const waiter = (): void => { clearTimeout(timer); resolve(true) }
      const timer = setTimeout(() => { this.waiters = this.waiters.filter(w => w !== waiter); resolve(false) }, timeoutMs)
      this.waiters.push(waiter)
    })
  }

  install(): void {
    const { client } = this.ctx
    const getContact = client._getContact.bind(client)
    client._getContact = (seq = 0) => seq === 0 ? this.loadAll() : getContact(seq)
    const update = client.updateContacts.bind(client)
    client.updateContacts = (contacts: RawContact[] | undefined) => update(contacts?.map(c => this.guardMembers(c)))
  }

  /** A group's member list is to be fetched again (a join, a removal, a partial record). */
  refresh(roomId: string): void {
    this.stale.add(roomId)
    void this.flush()
  }

  /** Every page of the list, then the member lists of groups that came without one; until it works. */
  private async loadAll(): Promise<RawContact[]> {
    const { client, log, timing } = this.ctx
    const gen = ++this.generation
    this.done = false
    for (let attempt = 1; this.ctx.current() && gen === this.generation; attempt++) {
      try {
        const contacts: RawContact[] = []
        let seq = 0
        do {
          const page = await client.getContact(seq)
          contacts.push(...page.MemberList ?? [])
          seq = Number(page.Seq ?? 0)
        } while (seq)
        const full = await this.fetchMembers(contacts.filter(c => isRoom(c) && !hasFullMembers(c)).map(c => c.UserName))
        const byId = new Map(contacts.map(c => [c.UserName, c]))
        for (const g of full) byId.set(g.UserName, g)
        // The client adds them in its own continuation of this promise: say "loaded" one turn later.
        setImmediate(() => this.markLoaded(gen))
        return [...byId.values()]
      } catch (err) {
        if (!this.ctx.current() || gen !== this.generation) return []
        const retryInMs = retryDelay(attempt, timing.contactsRetryBaseMs, timing.contactsRetryMaxMs)
        const why = describeFailure(err)
        if ((attempt & (attempt - 1)) === 0) log.warn('wechat4u.contacts-failed', { why, attempt, retryInS: Math.round(retryInMs / 1000), hint: 'the contact list is loaded again until it comes; groups are not reported missing meanwhile' })
        this.ctx.emit({ kind: 'contacts-failed', why, attempt, retryInMs })
        if (!await pause(this.ctx, retryInMs)) return []
      }
    }
    return []
  }

  private markLoaded(gen: number): void {
    if (gen !== this.generation || !this.ctx.current()) return
    this.done = true
    const all = Object.values(this.ctx.client.contacts)
    const rooms = all.filter(isRoom).length
    this.ctx.log.info('wechat4u.contacts-loaded', { rooms, contacts: all.length - rooms })
    this.ctx.emit({ kind: 'contacts-loaded', rooms, contacts: all.length - rooms })
    for (const w of this.waiters.splice(0)) w()
  }

  /** Member lists by webwxbatchgetcontact, at most `memberBatch` groups a request; failed batches go stale. */
  private async fetchMembers(ids: string[]): Promise<RawContact[]> {
    const out: RawContact[] = []
    const size = this.ctx.timing.memberBatch
    for (let i = 0; i < ids.length; i += size) {
      const batch = ids.slice(i, i + size)
      try {
        out.push(...await this.ctx.client.batchGetContact(batch.map(UserName => ({ UserName, EncryChatRoomId: '' }))))
      } catch (err) {
        this.ctx.log.warn('wechat4u.members-failed', { groups: batch.length, why: describeFailure(err), hint: 'their member lists are fetched again shortly' })
        for (const id of batch) this.stale.add(id)
      }
    }
    if (this.stale.size) setTimeout(() => void this.flush(), 1000).unref()
    return out
  }

  /** Fetches the stale member lists, retrying with back-off until they come. */
  private async flush(): Promise<void> {
    if (this.refreshing) return
    this.refreshing = true
    try {
      for (let attempt = 1; this.stale.size && this.ctx.current(); ) {
        const ids = [...this.stale].slice(0, this.ctx.timing.memberBatch)
        for (const id of ids) this.stale.delete(id)
        try {
          const rooms = await this.ctx.client.batchGetContact(ids.map(UserName => ({ UserName, EncryChatRoomId: '' })))
          for (const r of rooms) this.fetched.add(r.UserName)
          try { this.ctx.client.updateContacts(rooms) } finally { this.fetched.clear() }
          attempt = 1
          this.ctx.emit({ kind: 'members-refreshed', rooms: rooms.map(r => r.UserName) })
        } catch (err) {
          for (const id of ids) this.stale.add(id)
          const waitMs = retryDelay(attempt++, this.ctx.timing.contactsRetryBaseMs, this.ctx.timing.contactsRetryMaxMs)
          this.ctx.log.warn('wechat4u.members-failed', { groups: ids.length, why: describeFailure(err), retryInS: Math.round(waitMs / 1000) })
          if (!await pause(this.ctx, waitMs)) return
        }
      }
    } finally {
      this.refreshing = false
    }
  }

  /** A group record with an empty or partial member list keeps the members known so far. */
  private guardMembers(c: RawContact): RawContact {
    if (!isRoom(c)) return c
    c.MemberList ??= []
    if (hasFullMembers(c) || this.fetched.has(c.UserName)) return c
    const known = this.ctx.client.contacts[c.UserName]?.MemberList ?? []
    if (known.length) c.MemberList = mergeMembers(known, c.MemberList)
    if (!hasFullMembers(c)) {
      this.stale.add(c.UserName)
      setTimeout(() => void this.flush(), 500).unref()
    }
    return c
  }
}
