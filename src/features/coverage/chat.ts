/** Coverage in chat: `已通知 <户名>` from grid workers and curators, `覆盖 A7K2` for anyone bound. */
import { ANNOUNCEMENT_CODE_RE } from '../../domain/announcement.ts'
import { missingHouseholds, renderCoverage, type Household, type VillageCoverage } from '../../domain/households.ts'
import { clock } from '../../domain/status.ts'
import { normalizeChat, stripMentions } from '../../domain/text.ts'
import type { InboundContext } from '../../spine/cascade.ts'
import { answerStrangerOnce } from '../../spine/guards.ts'
import { listText, type Coverage } from './coverage.ts'

const NAME_SEPARATORS = /[\s,，、;；]+/
/** `已通知 [编号] 户名 …` */
const NOTIFIED = /^已通知[\s:：]*([\s\S]*)$/
const COVERAGE_ASK = /^覆盖[\s:：]*([A-Za-z0-9]{4})$/

export class CoverageChat {
  constructor(private readonly c: Coverage) {}

  /** `已通知 …` and `覆盖 A7K2` in a DM; anything else passes on. */
  async handle({ msg, person }: InboundContext): Promise<string[] | undefined> {
    if (msg.topic) return undefined
    const text = stripMentions(normalizeChat(msg.text))
    const notified = NOTIFIED.exec(text)
    const ask = COVERAGE_ASK.exec(text)
    if (!notified && !ask) return undefined
    if (!person) return answerStrangerOnce(this.c.app, msg, this.c.app.t('not_bound'))
    if (ask) return [await this.coverageText(person, ask[1].toUpperCase())]
    return [await this.notified(person, notified![1])]
  }

  /** Villages a person may record 已通知 in, with the grids (undefined: all grids, as curator). */
  private scopeOf(person: string): Map<string, string[] | undefined> {
    const scope = new Map<string, string[] | undefined>()
    for (const node of this.c.app.approvesFor(person)) if (this.c.idx.village(node)) scope.set(node, undefined)
    for (const { village, grid } of this.c.idx.gridsOf(person)) {
      if (scope.has(village) && scope.get(village) === undefined) continue
      scope.set(village, [...(scope.get(village) ?? []), grid.id])
    }
    return scope
  }

  private async notified(person: string, args: string): Promise<string> {
    const scope = this.scopeOf(person)
    if (scope.size === 0) return this.c.app.t('notified_not_worker')
    const words = args.split(NAME_SEPARATORS).filter(Boolean)
    const named = words[0] && ANNOUNCEMENT_CODE_RE.test(words[0].toUpperCase()) && words.length > 1 ? words.shift()!.toUpperCase() : undefined
    if (words.length === 0) return this.c.app.t('notified_usage')
    const code = named ?? await this.followupCode(person, [...scope.keys()])
    if (!code || !await this.c.app.store.announcement(code)) return this.c.app.t('notified_no_code')

    const recorded: string[] = []
    const notes: string[] = []
    const touched = new Map<string, VillageCoverage>()
    for (const word of words) {
      const found: { village: string; household: Household; cov: VillageCoverage }[] = []
      for (const [village, grids] of scope) {
        const cov = touched.get(village) ?? await this.c.village(code, village)
        touched.set(village, cov)
        const known = cov.grids.flatMap(g => g.households.map(h => h.household))
        for (const household of this.c.idx.findHouseholds(village, word, known, grids)) found.push({ village, household, cov })
      }
      if (found.length === 0) { notes.push(this.c.app.t('notified_unknown', { name: word })); continue }
      if (found.length > 1) { notes.push(this.c.app.t('notified_ambiguous', { name: word, households: found.map(f => f.household.name).join('、') })); continue }
      const { village, household } = found[0]
      const at = this.c.app.now()
      if (await this.c.mark(code, village, household, { grid: household.grid, household: household.name, how: 'notified', by: person, at })) {
        recorded.push(household.name)
        await this.c.app.store.audit(code, { kind: 'household-notified', node: village, actor: person, at, household: household.name, grid: household.grid })
      } else {
        const m = (await this.c.marks(code, village)).get(household.key)
        notes.push(this.c.app.t('notified_already', { household: household.name, by: m ? this.c.byName(m) : '他人', how: m?.how === 'notified' ? '登记已通知' : '回复收到', time: m ? clock(m.at) : '' }))
      }
    }
    for (const village of touched.keys()) notes.push(...await this.remainingLines(code, village, scope.get(village)))
    const head = recorded.length ? this.c.app.t('notified_ok', { code, households: recorded.join('、') }) : ''
    return (head + notes.join('')).trim()
  }

  private async remainingLines(code: string, village: string, grids: string[] | undefined): Promise<string[]> {
    const cov = await this.c.village(code, village)
    return cov.grids.filter(g => !grids || grids.includes(g.grid.id)).map(g => {
      const missing = missingHouseholds(g)
      const grid = `${this.c.app.nodeName(village)}${g.grid.name}`
      return missing.length ? this.c.app.t('notified_remaining', { grid, count: missing.length, households: listText(missing.map(h => h.name)) }) : this.c.app.t('notified_all_done', { grid })
    })
  }

  /** The code a bare `已通知` refers to: the last deadline DM, else the newest notice in the villages. */
  private async followupCode(person: string, villages: string[]): Promise<string | undefined> {
    const last = await this.c.app.store.redis.get(this.c.key('followup', person))
    if (last) return last
    let newest: { code: string; createdAt: number } | undefined
    for (const v of villages) {
      for (const topic of this.c.publicTopics(v)) {
        const l = await this.c.app.store.latestInGroup(topic)
        if (l && (!newest || l.createdAt > newest.createdAt)) newest = l
      }
    }
    return newest?.code
  }

  private async coverageText(person: string, code: string): Promise<string> {
    if (!await this.c.app.store.announcement(code)) return this.c.app.t('unknown_code', { code })
    const roles = this.c.app.rolesOf(person)
    const nodes = [...new Set([...roles.publisher, ...roles.curator, ...roles.backup, ...roles.gridWorker])]
    const trees: string[] = []
    for (const node of nodes) {
      const t = await this.c.tree(code, node)
      if (t) trees.push(renderCoverage(t, id => this.c.app.personName(id)))
    }
    return this.c.app.t('coverage_chat', { code, tree: trees.join('\n') || '（无）' })
  }
}
