/**
 * Fault injection for the simulated web-WeChat server: the failures the real service shows
 * (error codes, 5xx, reset and unanswered requests, sends delivered but answered with an error,
 * a barred account, an unreachable server, group records without their members), injected by
 * hand or at random from a seeded generator (`chaos`). The endpoint modules ask `take()` at
 * each call; this module knows nothing of sessions or HTTP.
 */
import { seeded } from '../seeded.ts'

export type FaultEndpoint =
  | 'webwxnewloginpage' | 'webwxinit' | 'webwxgetcontact' | 'webwxbatchgetcontact' | 'synccheck' | 'webwxsync' | 'webwxsendmsg'

export type Fault =
  /** JSON endpoints: BaseResponse.Ret = ret; synccheck: retcode; nothing done (a send is not delivered). */
  | { kind: 'ret'; ret: number; errMsg?: string }
  /** That HTTP status, empty body. */
  | { kind: 'http'; status: number }
  /** The socket destroyed without an answer. */
  | { kind: 'reset' }
  /** Never answered until server.stop(); `deliver` (webwxsendmsg only): the message is delivered first. */
  | { kind: 'hang'; deliver?: boolean }
  /** webwxsendmsg only: the message is delivered (and echoed), the answer carries Ret = ret. */
  | { kind: 'delivered-error'; ret: number }

export interface Injection {
  endpoint: FaultEndpoint
  fault: Fault
  /** World key of the account; default any account. */
  account?: string
  /** The next N matching calls (default 1; Infinity allowed). */
  times?: number
  /** webwxgetcontact only: the seq=0 page or a seq>0 page. */
  page?: 'first' | 'later'
}

export type ChaosKind =
  | 'init-1205' | 'init-5xx' | 'getcontact-5xx' | 'getcontact-reset' | 'getcontact-page2-5xx' | 'batchgetcontact-1205'
  | 'synccheck-5xx' | 'synccheck-reset' | 'sync-5xx' | 'send-1205' | 'send-5xx' | 'send-reset'
  | 'send-delivered-error' | 'send-hang-delivered' | 'partial-members' | 'network-down'

export const CHAOS_KINDS: readonly ChaosKind[] = [
  'init-1205', 'init-5xx', 'getcontact-5xx', 'getcontact-reset', 'getcontact-page2-5xx', 'batchgetcontact-1205',
  'synccheck-5xx', 'synccheck-reset', 'sync-5xx', 'send-1205', 'send-5xx', 'send-reset',
  'send-delivered-error', 'send-hang-delivered', 'partial-members', 'network-down',
]

export type MemberListMode = 'full' | 'empty' | 'partial'

/** What a call is told to do: a fault, or (webwxinit/webwxsync) write its group records partially. */
export type Decision = { fault: Fault } | { partialMembers: true }

/** One injection made (manual or chaos), in order. */
export interface InjectedFault { endpoint: FaultEndpoint | 'network'; label: string; account?: string; chaos: boolean }

export interface CallInfo {
  account?: string
  /** webwxgetcontact: which page. */
  page?: 'first' | 'later'
  /** webwxinit/webwxsync: whether the answer carries group records (partial-members applies). */
  groupRecords?: boolean
}

/** What networkDown needs of the server: stop listening (dropping every open connection), listen again. */
export interface Network { down(): Promise<void>; up(): Promise<void> }

export const BARRED_MESSAGE = '为了你的帐号安全，此微信号不能登录网页微信。你可以使用Windows微信或Mac微信在电脑端登录。'
const NETWORK_DOWN_EVERY_MS = 30_000
const FIVE_XX = [500, 502, 503]

interface ChaosRule { endpoint: FaultEndpoint | '*'; page?: 'first' | 'later'; make: (rnd: () => number) => Fault | 'partial' | 'down' }

const RULES: Record<ChaosKind, ChaosRule> = {
  'init-1205': { endpoint: 'webwxinit', make: () => ({ kind: 'ret', ret: 1205 }) },
  'init-5xx': { endpoint: 'webwxinit', make: r => ({ kind: 'http', status: pick(FIVE_XX, r) }) },
  'getcontact-5xx': { endpoint: 'webwxgetcontact', page: 'first', make: r => ({ kind: 'http', status: pick(FIVE_XX, r) }) },
  'getcontact-reset': { endpoint: 'webwxgetcontact', page: 'first', make: () => ({ kind: 'reset' }) },
  'getcontact-page2-5xx': { endpoint: 'webwxgetcontact', page: 'later', make: r => ({ kind: 'http', status: pick(FIVE_XX, r) }) },
  'batchgetcontact-1205': { endpoint: 'webwxbatchgetcontact', make: () => ({ kind: 'ret', ret: 1205 }) },
  'synccheck-5xx': { endpoint: 'synccheck', make: r => ({ kind: 'http', status: pick(FIVE_XX, r) }) },
  'synccheck-reset': { endpoint: 'synccheck', make: () => ({ kind: 'reset' }) },
  'sync-5xx': { endpoint: 'webwxsync', make: r => ({ kind: 'http', status: pick(FIVE_XX, r) }) },
  'send-1205': { endpoint: 'webwxsendmsg', make: () => ({ kind: 'ret', ret: 1205 }) },
  'send-5xx': { endpoint: 'webwxsendmsg', make: r => ({ kind: 'http', status: pick(FIVE_XX, r) }) },
  'send-reset': { endpoint: 'webwxsendmsg', make: () => ({ kind: 'reset' }) },
  'send-delivered-error': { endpoint: 'webwxsendmsg', make: () => ({ kind: 'delivered-error', ret: 1204 }) },
  'send-hang-delivered': { endpoint: 'webwxsendmsg', make: () => ({ kind: 'hang', deliver: true }) },
  'partial-members': { endpoint: '*', make: () => 'partial' },
  'network-down': { endpoint: '*', make: () => 'down' },
}


function pick<T>(list: readonly T[], rnd: () => number): T {
  return list[Math.min(list.length - 1, Math.floor(rnd() * list.length))]!
}

/** `synccheck:http-500`, `webwxsendmsg:delivered-error`, ... */
export function faultLabel(f: Fault): string {
  switch (f.kind) {
    case 'ret': return `ret-${f.ret}`
    case 'http': return `http-${f.status}`
    case 'hang': return f.deliver ? 'hang-delivered' : 'hang'
    default: return f.kind
  }
}

export class WebWxFaults {
  private injections: (Injection & { left: number })[] = []
  private readonly barredAccounts = new Map<string, string>()
  private readonly loggedOutSends = new Set<string>()
  private readonly memberModes = new Map<string, MemberListMode>()
  private chaosState?: { rate: number; kinds: ChaosKind[]; rnd: () => number }
  private readonly send1205Streak = new Map<string, number>()
  private readonly counts: Record<string, number> = {}
  private readonly log: InjectedFault[] = []
  private down?: Promise<void>
  private lastDownAt = -Infinity
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>()
  private stopped = false

  constructor(private readonly network: Network) {}

  /** The next `times` calls to `endpoint` (of `account`, any when absent) meet `fault`. */
  inject(i: Injection): void {
    const times = i.times ?? 1
    if (!(times > 0)) throw new Error(`inject: times must be > 0 (got ${times})`)
    if ((i.fault.kind === 'delivered-error' || (i.fault.kind === 'hang' && i.fault.deliver)) && i.endpoint !== 'webwxsendmsg') {
      throw new Error(`inject: ${faultLabel(i.fault)} is for webwxsendmsg only`)
    }
    if (i.page && i.endpoint !== 'webwxgetcontact') throw new Error('inject: page is for webwxgetcontact only')
    this.injections.push({ ...i, left: times })
  }

  /** The account is barred from web login: its logins answer <ret>1203</ret> and make no session. */
  bar(account: string, message = BARRED_MESSAGE): void { this.barredAccounts.set(account, message) }

  unbar(account: string): void { this.barredAccounts.delete(account) }

  /** The whole server unreachable for `ms` (refused connections); resolves when it listens again. */
  networkDown(ms: number): Promise<void> { return this.takeDown(ms, false) }

  /** While on, the account's webwxsendmsg answers Ret 1101 (not delivered); its syncs stay healthy. */
  sendsLoggedOut(account: string, on: boolean): void {
    if (on) this.loggedOutSends.add(account)
    else this.loggedOutSends.delete(account)
  }

  /**
   * How group records are written in webwxinit's ContactList and webwxsync's ModContactList
   * (and webwxgetcontact with fullGroupsInContactList), for one account and/or group or all.
   * `memberLists('full')` with no scope puts every scope back to full.
   */
  memberLists(mode: MemberListMode, o: { account?: string; group?: string } = {}): void {
    if (mode === 'full' && o.account === undefined && o.group === undefined) this.memberModes.clear()
    else this.memberModes.set(`${o.account ?? '*'}|${o.group ?? '*'}`, mode)
  }

  /** Random faults (seeded): each eligible call meets one of `kinds` with probability `rate`. rate 0: off. */
  chaos(o: { rate: number; seed: number; kinds?: ChaosKind[] }): void {
    if (!(o.rate > 0)) { this.chaosState = undefined; return }
    const kinds = o.kinds ?? [...CHAOS_KINDS]
    for (const k of kinds) if (!(k in RULES)) throw new Error(`chaos: unknown kind ${k}`)
    this.chaosState = { rate: Math.min(1, o.rate), kinds, rnd: seeded(o.seed) }
    this.send1205Streak.clear()
  }

  /** Injections made so far (manual and chaos), per `endpoint:label` (and 'network-down'). */
  injected(): Record<string, number> { return { ...this.counts } }

  /** Every injection made so far, in order. */
  history(): InjectedFault[] { return this.log.map(x => ({ ...x })) }

  /** Ends every injection, bar, mode and chaos (counts and history are kept). */
  clear(): void {
    this.injections = []
    this.barredAccounts.clear()
    this.loggedOutSends.clear()
    this.memberModes.clear()
    this.chaosState = undefined
    this.send1205Streak.clear()
  }

  // ───────────────────────────── for the endpoint modules ─────────────────────────────

  /** The barred message for the account, when it is barred (counted as an injection). */
  barredLogin(account: string | undefined): string | undefined {
    const m = account === undefined ? undefined : this.barredAccounts.get(account)
    if (m !== undefined) this.note('webwxnewloginpage', 'ret-1203', account, false)
    return m
  }

  /** Whether the account's sends answer 1101 now (counted as an injection when so). */
  sendLoggedOut(account: string): boolean {
    if (!this.loggedOutSends.has(account)) return false
    this.note('webwxsendmsg', 'ret-1101', account, false)
    return true
  }

  /** The member listing for `group`'s records shown to `account`. */
  memberMode(account: string, group: string): MemberListMode {
    return this.memberModes.get(`${account}|${group}`) ?? this.memberModes.get(`${account}|*`)
      ?? this.memberModes.get(`*|${group}`) ?? this.memberModes.get('*|*') ?? 'full'
  }

  /** What this call meets: a manual injection first, else (maybe) chaos. Counted. */
  take(endpoint: FaultEndpoint, call: CallInfo = {}): Decision | undefined {
    const i = this.injections.find(x => x.endpoint === endpoint
      && (x.account === undefined || x.account === call.account)
      && (x.page === undefined || x.page === (call.page ?? 'first')))
    if (i) {
      if (--i.left <= 0) this.injections.splice(this.injections.indexOf(i), 1)
      this.note(endpoint, faultLabel(i.fault), call.account, false)
      return { fault: i.fault }
    }
    return this.chaosTake(endpoint, call)
  }

  /** Cancels a network-down in progress (server stop). */
  stop(): void {
    this.stopped = true
    for (const t of [...this.timers]) { clearTimeout(t.timer); t.resolve() }
    this.timers.clear()
  }

  // ───────────────────────────── internals ─────────────────────────────

  private chaosTake(endpoint: FaultEndpoint, call: CallInfo): Decision | undefined {
    const c = this.chaosState
    if (!c || endpoint === 'webwxnewloginpage') return undefined
    const acct = call.account ?? '?'
    const candidates = c.kinds.filter(k => {
      const rule = RULES[k]
      if (k === 'partial-members') return (endpoint === 'webwxinit' || endpoint === 'webwxsync') && !!call.groupRecords
      if (k === 'network-down') return !this.down && Date.now() - this.lastDownAt >= NETWORK_DOWN_EVERY_MS
      if (k === 'send-1205' && (this.send1205Streak.get(acct) ?? 0) >= 2) return false
      return rule.endpoint === endpoint && (rule.page === undefined || rule.page === (call.page ?? 'first'))
    })
    if (!candidates.length) return undefined
    const hit = c.rnd() < c.rate
    const kind = hit ? pick(candidates, c.rnd) : undefined
    if (endpoint === 'webwxsendmsg') this.send1205Streak.set(acct, kind === 'send-1205' ? (this.send1205Streak.get(acct) ?? 0) + 1 : 0)
    if (!kind) return undefined
    const made = RULES[kind].make(c.rnd)
    if (made === 'partial') {
      this.note(endpoint, 'partial-members', call.account, true)
      return { partialMembers: true }
    }
    if (made === 'down') {
      void this.takeDown(2000 + Math.floor(c.rnd() * 6000), true)
      return { fault: { kind: 'reset' } }
    }
    this.note(endpoint, faultLabel(made), call.account, true)
    return { fault: made }
  }

  private note(endpoint: FaultEndpoint | 'network', label: string, account: string | undefined, chaos: boolean): void {
    const key = endpoint === 'network' ? label : `${endpoint}:${label}`
    this.counts[key] = (this.counts[key] ?? 0) + 1
    this.log.push({ endpoint, label, ...(account !== undefined ? { account } : {}), chaos })
  }

  private async takeDown(ms: number, chaos: boolean): Promise<void> {
    while (this.down) await this.down
    if (this.stopped) return
    this.lastDownAt = Date.now()
    this.note('network', 'network-down', undefined, chaos)
    this.down = (async () => {
      await this.network.down()
      await new Promise<void>(resolve => {
        const t = { timer: setTimeout(() => { this.timers.delete(t); resolve() }, ms), resolve }
        this.timers.add(t)
      })
      if (!this.stopped) await this.network.up()
    })().finally(() => { this.down = undefined })
    return this.down
  }
}
