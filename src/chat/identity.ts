/**
 * Who is who for one account: at every login, each person bound to the account is checked.
 *
 * A contact id still present: nothing to do (a resumed session keeps its ids). Otherwise WeChat
 * gave new ids (a fresh login), and the person is found again only by something a stranger
 * cannot copy — never by name:
 * 1. the remark the bot gave the contact at binding (`cascade-<person>`), when the server kept it;
 *    two contacts carrying the same remark bind neither (reported);
 * 2. else the person sends their personal code (given at binding) in a private chat; until then
 *    they are listed in /readyz and the staff group of their node is told who must act.
 */
import type { ContactInterface } from 'wechaty/impls'
import { loadedContacts, type Account } from './account.ts'
import { idPart, PRIORITY } from '../queue/outbox.ts'

/** The remark a bound contact gets, to find them again after a login changed their id. */
export function bindingAlias(person: string): string { return `cascade-${person}` }

export class AccountIdentity {
  /** Bound people whose contact was not found at the last login (they must send their personal code). */
  missing: string[] = []

  /** Stops listening to the app (a stopped account must not stay reachable from it). */
  readonly dispose: () => void

  constructor(private readonly acc: Account) {
    // A person who proved who they are on this account is no longer missing.
    this.dispose = acc.app.events.on('rebound', ({ bot, person }) => {
      if (bot !== acc.id || !this.missing.includes(person)) return
      this.missing = this.missing.filter(p => p !== person)
      void acc.health.recordMissing(acc.id, { people: this.missing }).catch(() => undefined)
    })
  }

  /** Checks that every person bound to this account is still among its contacts. */
  async check(): Promise<void> {
    const { app } = this.acc
    const people = [...app.cfg.people.keys()]
    // Read at once (one pipelined batch): a province has thousands of people, most not bound here.
    const bindings = await Promise.all(people.map(person => app.store.bindingsOf(person)))
    const bound = people.map((person, i) => ({ person, contactId: bindings[i][this.acc.id] })).filter(b => b.contactId)
    const loaded = loadedContacts(this.acc)
    const missing: string[] = []
    if (loaded) {
      // One pass over the loaded contacts: no per-id lookups (a stale id costs ~51 s of retries).
      const dir = loaded.directory()
      const byRemark = new Map<string, string[]>()
      for (const c of dir.contacts.values()) if (c.remark) byRemark.set(c.remark, [...byRemark.get(c.remark) ?? [], c.id])
      for (const { person, contactId } of bound) {
        if (dir.contacts.has(contactId)) continue
        const carriers = byRemark.get(bindingAlias(person)) ?? []
        if (carriers.length === 1) {
          await app.store.bind(this.acc.id, carriers[0], person)
          this.acc.log.info('person.rebound', { person, by: 'remark' })
          continue
        }
        if (carriers.length > 1) this.acc.log.warn('person.remark-ambiguous', { person, contacts: carriers.length, hint: 'two contacts carry this remark: neither is bound' })
        missing.push(person)
      }
    } else {
      for (const { person, contactId } of bound) {
        const contact = await this.acc.wechaty.Contact.find({ id: contactId })
        if (contact) {
          await this.markBound(contact, person)
          continue
        }
        const again = await this.acc.wechaty.Contact.findAll({ alias: bindingAlias(person) }).catch(() => [])
        if (again.length === 1) {
          await app.store.bind(this.acc.id, again[0].id, person)
          this.acc.log.info('person.rebound', { person, by: 'remark' })
        } else missing.push(person)
      }
    }
    this.missing = missing
    if (missing.length) {
      this.acc.log.warn('people.missing', { count: missing.length, people: missing, hint: 'they send their personal code to this account in a private chat (or get a new invite)' })
    }
  }

  /** Tells the staff group of each node whose people must re-bind on this account who they are. */
  async tellStaff(at: number): Promise<void> {
    const { app } = this.acc
    const byTopic = new Map<string, string[]>()
    for (const person of this.missing) {
      const roles = app.rolesOf(person)
      for (const role of [...roles.curator, ...roles.publisher, ...roles.backup]) {
        const staff = app.cfg.nodes.get(role)?.groups.find(g => g.kind === 'staff')?.topic
        if (!staff || !this.acc.bot.nodes.includes(role)) continue
        const name = app.cfg.people.get(person)?.name ?? person
        const list = byTopic.get(staff) ?? []
        if (!list.includes(name)) list.push(name)
        byTopic.set(staff, list)
      }
    }
    for (const [topic, names] of byTopic) {
      const text = app.t('staff_rebind_needed', { name: this.acc.bot.nickname || this.acc.bot.name, people: names.join('、') })
      await app.outboxes.enqueue(this.acc.id, { idem: `rebind-needed-${this.acc.id}-${at}-${idPart(topic)}`, target: { kind: 'group', topic }, text }, PRIORITY.urgent)
    }
  }

  /** Gives a bound contact the remark `cascade-<person>` (a key the bot controls, unlike names). */
  async markBound(contact: ContactInterface, person: string): Promise<void> {
    if (this.acc.bot.puppet === 'wechaty-puppet-mock') return // the mock keeps no remarks (and warns)
    try {
      if ((await contact.alias()) !== bindingAlias(person)) await contact.alias(bindingAlias(person))
    } catch (err) {
      this.acc.log.debug('person.alias-failed', { person, err })
    }
  }
}
