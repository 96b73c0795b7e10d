import { describe, expect, it } from 'vitest'
import { planFanout, sendInterval, type AccountLoad, type PlannedPost } from '../../src/domain/fanout.ts'

const load = (backlog = 0, o: Partial<AccountLoad> = {}): AccountLoad => ({ alive: true, intervalMs: 1000, backlog, urgentBacklog: 0, ...o })
const groups = (n: number, candidates: string[], prefix = 'g') => Array.from({ length: n }, (_, i) => ({ topic: `${prefix}${i + 1}`, candidates }))
const countBy = (posts: PlannedPost[]) => posts.reduce<Record<string, number>>((c, p) => ({ ...c, [p.bot]: (c[p.bot] ?? 0) + 1 }), {})

/** Planned start times of each account, given what was already queued, must be one interval apart at least. */
function assertRateKept(posts: PlannedPost[], loads: Map<string, AccountLoad>, lane: 'urgent' | 'normal' = 'normal') {
  for (const [bot, l] of loads) {
    const starts = posts.filter(p => p.bot === bot).map(p => p.startsIn).sort((a, b) => a - b)
    if (starts.length) expect(starts[0]).toBeGreaterThanOrEqual((lane === 'urgent' ? l.urgentBacklog : l.backlog) * l.intervalMs)
    for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBeGreaterThanOrEqual(l.intervalMs)
  }
}

describe('fan-out planner', () => {
  it('sends to the account with the least backlog first, then spreads the rest evenly', () => {
    const loads = new Map([['a', load(5)], ['b', load(0)]])
    const one = planFanout(groups(1, ['a', 'b']), loads)
    expect(one.posts[0]).toMatchObject({ topic: 'g1', bot: 'b', startsIn: 0 })

    // 11 groups: b takes the first 5 while a works through its backlog, then they alternate.
    const plan = planFanout(groups(11, ['a', 'b']), loads)
    expect(countBy(plan.posts)).toEqual({ a: 3, b: 8 })
    expect(Math.max(...plan.posts.map(p => p.startsIn))).toBe(7000)
    assertRateKept(plan.posts, loads)
  })

  it('counts backlog in time, not in messages: a faster account takes more', () => {
    const loads = new Map([['slow', load(0, { intervalMs: 1000 })], ['fast', load(0, { intervalMs: 500 })]])
    const plan = planFanout(groups(9, ['slow', 'fast']), loads)
    expect(countBy(plan.posts)).toEqual({ fast: 6, slow: 3 })
    assertRateKept(plan.posts, loads)
  })

  it('places the groups with fewest accounts first, so shared accounts are not used up by groups that had a choice', () => {
    // x sits only with a; y and z can use a or b. Placed in input order, y would take a first.
    const loads = new Map([['a', load()], ['b', load()]])
    const plan = planFanout([
      { topic: 'y', candidates: ['a', 'b'] },
      { topic: 'z', candidates: ['a', 'b'] },
      { topic: 'x', candidates: ['a'] },
    ], loads)
    expect(plan.posts.map(p => p.topic)).toEqual(['y', 'z', 'x']) // returned in input order
    expect(plan.posts.find(p => p.topic === 'x')).toMatchObject({ bot: 'a', startsIn: 0 })
    expect(Math.max(...plan.posts.map(p => p.startsIn))).toBe(1000)
  })

  it('fails over: a logged-out account gets nothing while another sitting in the group is logged in', () => {
    const loads = new Map([['a', load(0, { alive: false })], ['b', load(40)]])
    const plan = planFanout(groups(3, ['a', 'b']), loads)
    expect(countBy(plan.posts)).toEqual({ b: 3 })
    expect(plan.posts[0].startsIn).toBe(40_000)
  })

  it('queues on a logged-out account only when no account of the group is logged in (it waits for the login)', () => {
    const loads = new Map([['a', load(2, { alive: false })], ['b', load(0, { alive: false })], ['c', load(0)]])
    const plan = planFanout(groups(2, ['a', 'b']), loads)
    expect(countBy(plan.posts)).toEqual({ b: 2 })
  })

  it('reports groups no known account sits in instead of dropping them silently', () => {
    const plan = planFanout([{ topic: 'orphan', candidates: ['gone'] }, { topic: 'ok', candidates: ['a'] }], new Map([['a', load()]]))
    expect(plan.unplaced).toEqual(['orphan'])
    expect(plan.posts.map(p => p.topic)).toEqual(['ok'])
  })

  it('an urgent post sees only what goes before it: it overtakes queued routine posts', () => {
    // a has 30 routine posts queued, b has 3 urgent ones: a routine post goes to b, an urgent one to a.
    const loads = new Map([['a', load(30)], ['b', load(3, { urgentBacklog: 3 })]])
    expect(planFanout(groups(1, ['a', 'b']), loads, 'normal').posts[0]).toMatchObject({ bot: 'b', startsIn: 3000 })
    expect(planFanout(groups(1, ['a', 'b']), loads, 'urgent').posts[0]).toMatchObject({ bot: 'a', startsIn: 0 })
    const urgent = planFanout(groups(8, ['a', 'b']), loads, 'urgent')
    // b is free for urgent work only after 3 s; the last urgent post starts after 5 s, the least possible.
    expect(countBy(urgent.posts)).toEqual({ a: 6, b: 2 })
    expect(Math.max(...urgent.posts.map(p => p.startsIn))).toBe(5000)
    assertRateKept(urgent.posts, loads, 'urgent')
  })

  it("never plans an account faster than its rate, whatever the mix", () => {
    const loads = new Map([
      ['a', load(3, { intervalMs: 1000 })],
      ['b', load(0, { intervalMs: 2000, urgentBacklog: 0 })],
      ['c', load(10, { intervalMs: 500, alive: false })],
      ['d', load(1, { intervalMs: 750 })],
    ])
    const plan = planFanout([
      ...groups(20, ['a', 'b'], 'ab'),
      ...groups(15, ['b', 'c', 'd'], 'bcd'),
      ...groups(5, ['d'], 'd'),
    ], loads)
    expect(plan.posts).toHaveLength(40)
    expect(countBy(plan.posts).c).toBeUndefined()
    assertRateKept(plan.posts, loads)
  })

  it('turns a rate per minute into the spacing the outbox uses', () => {
    expect(sendInterval(60)).toBe(1000)
    expect(sendInterval(120)).toBe(500)
    expect(sendInterval(1e9)).toBe(1)
  })
})
