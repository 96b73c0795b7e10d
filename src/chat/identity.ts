/**
 * Who is who for one account: at every login, each person bound to the account is checked.
 *
 * A contact id still present: nothing to do (a resumed session keeps its ids). Otherwise WeChat
 * gave new ids (a fresh login), and the person is found again only by something a stranger
 * cannot copy — never by name alone:
 * 1. the remark the bot gave the contact at binding (`cascade-<person>`), when the server kept it;
 *    two contacts carrying the same remark bind neither (reported);
 * 2. else, when exactly one member of the staff groups of their nodes carries the nickname their
 *    contact had at binding (nickname-rebind.ts), that contact is asked in a private chat to
 *    confirm; its 确认 binds it, after the same check made again;
 * 3. else (and meanwhile) the person sends their personal code (given at binding) in a private
 *    chat; until bound again they are listed in /status and the staff group of their node is told
 *    who was asked to confirm and who must send their code.
 */
import type { ContactInterface } from 'wechaty/impls'
import { loadedContacts, type Account } from './account.ts'
import { idPart, PRIORITY } from '../queue/outbox.ts'
import { RebindRecords } from '../store/rebind.ts'
import { decodeWebText } from './echo.ts'
import { isConfirmation, planRebinds, type RebindOutcome } from './nickname-rebind.ts'
import type { Directory } from './wechat4u.ts'

/** The remark a bound contact gets, to find them again after a login changed their id. */
export function bindingAlias(person: string): string { return `cascade-${person}` }

export class AccountIdentity {
  /** Bound people whose contact was not found at the last login (they must re-bind). */
  missing: string[] = []
  /** Those of `missing` whose one candidate contact was asked to confirm (the rest must send their code). */
  asked: string[] = []
  private readonly records: RebindRecords

  /** Stops listening to the app (a stopped account must not stay reachable from it). */
  readonly dispose: () => void

  constructor(private readonly acc: Account) {
    this.records = new RebindRecords(acc.app.store)
    // A person who proved who they are on this account is no longer missing.
    this.dispose = acc.app.events.on('rebound', ({ bot, person }) => {
      if (bot !== acc.id || !this.missing.includes(person)) return
      this.missing = this.missing.filter(p => p !== person)
      this.asked = this.asked.filter(p => p !== person)
      void acc.health.recordMissing(acc.id, { people: this.missing }).catch(() => undefined)
    })
  }

  /** person → contact id of everyone bound to this account (one pipelined batch). */
  private async boundHere(): Promise<{ person: string; contactId: string }[]> {
    const { app } = this.acc
    const people = [...app.cfg.people.keys()]
    // Read at once: a province has thousands of people, most not bound here.
    const bindings = await Promise.all(people.map(person => app.store.bindingsOf(person)))
    return people.map((person, i) => ({ person, contactId: bindings[i][this.acc.id] })).filter(b => b.contactId)
  }

  /** Checks that every person bound to this account is still among its contacts. */
  async check(): Promise<void> {
    const { app } = this.acc
    const bound = await this.boundHere()
    const loaded = loadedContacts(this.acc)
    const missing: string[] = []
    let asked: string[] = []
    if (loaded) {
      // One pass over the loaded contacts: no per-id lookups (a stale id costs ~51 s of retries).
      const dir = loaded.directory()
      const byRemark = new Map<string, string[]>()
      for (const c of dir.contacts.values()) if (c.remark) byRemark.set(c.remark, [...byRemark.get(c.remark) ?? [], c.id])
      const recorded = await this.records.nicknames(this.acc.id)
      const renamed = new Map<string, string>()
      for (const { person, contactId } of bound) {
        const present = dir.contacts.get(contactId)
        if (present) {
          // Still here: the nickname is kept current, for the next login that changes the ids.
          if (present.name && recorded.get(person) !== present.name) renamed.set(person, present.name)
          continue
        }
        const carriers = byRemark.get(bindingAlias(person)) ?? []
        if (carriers.length === 1) {
          await app.store.bind(this.acc.id, carriers[0], person)
          this.acc.log.info('person.rebound', { person, by: 'remark' })
          const name = dir.contacts.get(carriers[0])?.name
          if (name && recorded.get(person) !== name) renamed.set(person, name)
          continue
        }
        if (carriers.length > 1) this.acc.log.warn('person.remark-ambiguous', { person, contacts: carriers.length, hint: 'two contacts carry this remark: neither is bound' })
        missing.push(person)
      }
      await this.records.recordNicknames(this.acc.id, renamed)
      if (missing.length) asked = await this.askToConfirm(dir, missing)
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
    this.asked = asked
    if (missing.length) {
      this.acc.log.warn('people.missing', { count: missing.length, asked: asked.length, people: missing, hint: 'those asked confirm with 确认; the others send their personal code to this account in a private chat (or get a new invite)' })
    }
  }

  /** The plan for the missing people as the directory shows them now (nickname-rebind.ts). */
  private async plan(dir: Directory, missing: string[]): Promise<Map<string, RebindOutcome>> {
    const { app } = this.acc
    const [recorded, bound, botContacts] = await Promise.all([this.records.nicknames(this.acc.id), this.boundHere(), app.store.botContacts()])
    const botNicknames = new Set([...app.cfg.bots.values()].flatMap(b => [b.nickname, b.name]).filter(Boolean))
    return planRebinds(dir, missing, {
      cfg: app.cfg, rolesOf: p => app.rolesOf(p), recorded, botContacts, botNicknames,
      boundContacts: new Set(bound.map(b => b.contactId)),
    })
  }

  /** Sends each missing person's one candidate contact the request to confirm; returns who was asked. */
  private async askToConfirm(dir: Directory, missing: string[]): Promise<string[]> {
    const { app } = this.acc
    const asked: string[] = []
    const plan = await this.plan(dir, missing)
    for (const [person, outcome] of plan) {
      if (outcome.kind !== 'ask') {
        this.acc.log.info('person.rebind-by-code', { person, why: outcome.why })
        continue
      }
      asked.push(person)
      // Asked already (a restart that resumed this session): not asked twice.
      if (!await this.records.ask(this.acc.id, outcome.contactId, person)) continue
      const text = app.t('rebind_confirm_ask', { name: app.personName(person), bot: this.acc.bot.nickname || this.acc.bot.name })
      await app.outboxes.enqueue(this.acc.id, { idem: `rebind-ask-${this.acc.id}-${idPart(outcome.contactId)}-${person}`, target: { kind: 'contact', contactId: outcome.contactId }, text }, PRIORITY.reply)
      this.acc.log.info('person.rebind-asked', { person })
    }
    return asked
  }

  /**
   * A private message that may answer a request to confirm: the contact asked, answering 确认 or
   * 是, is bound — when the request's person is still missing here and the same plan, made again
   * on the directory as it is now, still names this contact (still in the staff group, same
   * nickname, still the only one). Returns the replies, or undefined when it is not such an
   * answer (it is then handled as any message: a contact not bound gets the stranger's answer).
   */
  async confirm(contact: ContactInterface, text: string): Promise<string[] | undefined> {
    const loaded = loadedContacts(this.acc)
    if (!loaded || !isConfirmation(text)) return undefined
    const person = await this.records.takeAsk(this.acc.id, contact.id)
    if (!person) return undefined
    const { app } = this.acc
    const refuse = (why: string) => { this.acc.log.warn('person.rebind-refused', { person, why }); return undefined }
    if (!this.missing.includes(person)) return refuse('no longer missing')
    if (await app.store.personOf(this.acc.id, contact.id)) return refuse('the contact is bound')
    const outcome = (await this.plan(loaded.directory(), this.missing)).get(person)
    if (outcome?.kind !== 'ask' || outcome.contactId !== contact.id) return refuse(outcome?.kind === 'code' ? outcome.why : 'another contact')
    const replies = await app.bindings.confirmRebind(this.acc.id, contact.id, person)
    await this.markBound(contact, person)
    return replies
  }

  /** Tells the staff group of each node whose people must re-bind on this account who they are. */
  async tellStaff(at: number): Promise<void> {
    const { app } = this.acc
    const byTopic = new Map<string, { asked: string[]; code: string[] }>()
    for (const person of this.missing) {
      const roles = app.rolesOf(person)
      const list = this.asked.includes(person) ? 'asked' : 'code'
      for (const role of [...roles.curator, ...roles.publisher, ...roles.backup]) {
        const staff = app.cfg.nodes.get(role)?.groups.find(g => g.kind === 'staff')?.topic
        if (!staff || !this.acc.bot.nodes.includes(role)) continue
        const name = app.cfg.people.get(person)?.name ?? person
        const lists = byTopic.get(staff) ?? { asked: [], code: [] }
        if (!lists[list].includes(name)) lists[list].push(name)
        byTopic.set(staff, lists)
      }
    }
    const name = this.acc.bot.nickname || this.acc.bot.name
    for (const [topic, lists] of byTopic) {
      for (const [list, key] of [['asked', 'staff_rebind_asked'], ['code', 'staff_rebind_needed']] as const) {
        if (!lists[list].length) continue
        const text = app.t(key, { name, people: lists[list].join('、') })
        await app.outboxes.enqueue(this.acc.id, { idem: `rebind-${list}-${this.acc.id}-${at}-${idPart(topic)}`, target: { kind: 'group', topic }, text }, PRIORITY.urgent)
      }
    }
  }

  /**
   * A contact just bound as `person`: its nickname is recorded (evidence for the next login that
   * changes the ids), and it gets the remark `cascade-<person>` (a key the bot controls, unlike names).
   */
  async markBound(contact: ContactInterface, person: string): Promise<void> {
    const nickname = loadedContacts(this.acc)?.directory().contacts.get(contact.id)?.name ?? decodeWebText(contact.name())
    await this.records.recordNickname(this.acc.id, person, nickname).catch(err => this.acc.log.warn('person.nickname-not-recorded', { person, err }))
    if (this.acc.bot.puppet === 'wechaty-puppet-mock') return // the mock keeps no remarks (and warns)
    try {
      if ((await contact.alias()) !== bindingAlias(person)) await contact.alias(bindingAlias(person))
    } catch (err) {
      this.acc.log.debug('person.alias-failed', { person, err })
    }
  }
}
