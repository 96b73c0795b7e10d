/**
 * The series' Redis state, under the app's namespace (`{ns}:series:…`):
 *
 *   series:defs              hash id → JSON   series made in the command centre
 *   series:since:<id>        string           when its scheduler was first set up (no "missed" before it)
 *   series:run:<id>:<key>    string JSON      one run (SET NX: a slot runs once, whoever fires it)
 *   series:runs:<id>         zset key → slot  its runs, newest last
 *   series:cursor:<id>       integer          list items used
 *   series:approved:<id>     hash node → JSON { hash, by, at }  approved once at a node (for that content)
 *   series:paused:<id>       hash node → JSON { by, at, stopped }  withheld for the node's subtree
 *   series:figures:<id>:<date> hash field → value  figures for a local date
 *   series:typed:<id>        string JSON      the next typed run, given ahead
 *   series:log:<id>          stream           approvals, pauses, edits (who and when)
 */
import type { Store } from '../../store/store.ts'
import type { SeriesDef, SeriesRun } from '../../domain/series.ts'

export interface SeriesApproval { hash: string; by: string; at: number }
export interface SeriesPause { by: string; at: number; stopped?: boolean }

const MONTHS = 100 * 24 * 3600

export class SeriesStore {
  constructor(readonly store: Store) {}
  private get r() { return this.store.redis }
  private k(rest: string): string { return `${this.store.keys.base}series:${rest}` }

  async webDefs(): Promise<SeriesDef[]> {
    return Object.values(await this.r.hgetall(this.k('defs'))).map(v => JSON.parse(v) as SeriesDef)
  }
  async saveWebDef(def: SeriesDef): Promise<void> { await this.r.hset(this.k('defs'), def.id, JSON.stringify(def)) }
  async removeWebDef(id: string): Promise<boolean> { return (await this.r.hdel(this.k('defs'), id)) === 1 }
  /**
   * What a series of the same id made later must not inherit: its list position, approvals,
   * pauses, a typed text given ahead, when it was first scheduled. Its runs and log stay (a slot
   * already run is not made again; who did what is kept).
   */
  async forget(id: string): Promise<void> {
    await this.r.del(...['cursor', 'approved', 'paused', 'typed', 'since'].map(k => this.k(`${k}:${id}`)))
  }

  /** When the series was first scheduled here (set once). */
  async since(id: string, now: number): Promise<number> {
    await this.r.set(this.k(`since:${id}`), String(now), 'NX')
    return Number(await this.r.get(this.k(`since:${id}`)))
  }

  /** Claims a slot: true for the one caller that makes this run. */
  async claimRun(run: SeriesRun): Promise<boolean> {
    const ok = await this.r.set(this.k(`run:${run.series}:${run.key}`), JSON.stringify(run), 'EX', MONTHS, 'NX')
    if (ok !== 'OK') return false
    await this.r.zadd(this.k(`runs:${run.series}`), run.slot, run.key)
    return true
  }
  async saveRun(run: SeriesRun): Promise<void> { await this.r.set(this.k(`run:${run.series}:${run.key}`), JSON.stringify(run), 'EX', MONTHS) }
  async run(id: string, key: string): Promise<SeriesRun | undefined> {
    const v = await this.r.get(this.k(`run:${id}:${key}`))
    return v ? JSON.parse(v) as SeriesRun : undefined
  }
  /** The newest `n` runs, newest first. */
  async recentRuns(id: string, n: number): Promise<SeriesRun[]> {
    const keys = await this.r.zrevrange(this.k(`runs:${id}`), 0, n - 1)
    const runs = await Promise.all(keys.map(key => this.run(id, key)))
    return runs.filter((x): x is SeriesRun => x !== undefined)
  }

  /** The next list item's index (0-based), counted once per published run. */
  async takeItem(id: string): Promise<number> { return (await this.r.incr(this.k(`cursor:${id}`))) - 1 }
  async itemsUsed(id: string): Promise<number> { return Number(await this.r.get(this.k(`cursor:${id}`)) ?? 0) }

  async approve(id: string, node: string, a: SeriesApproval): Promise<void> { await this.r.hset(this.k(`approved:${id}`), node, JSON.stringify(a)) }
  async revoke(id: string, node: string): Promise<boolean> { return (await this.r.hdel(this.k(`approved:${id}`), node)) === 1 }
  async approvals(id: string): Promise<Map<string, SeriesApproval>> { return parseHash(await this.r.hgetall(this.k(`approved:${id}`))) }

  async pause(id: string, node: string, p: SeriesPause): Promise<void> { await this.r.hset(this.k(`paused:${id}`), node, JSON.stringify(p)) }
  async resume(id: string, node: string): Promise<boolean> { return (await this.r.hdel(this.k(`paused:${id}`), node)) === 1 }
  async pauses(id: string): Promise<Map<string, SeriesPause>> { return parseHash(await this.r.hgetall(this.k(`paused:${id}`))) }

  async setFigures(id: string, date: string, figures: Record<string, string>): Promise<void> {
    await this.r.hset(this.k(`figures:${id}:${date}`), figures)
    await this.r.expire(this.k(`figures:${id}:${date}`), MONTHS)
  }
  async figures(id: string, date: string): Promise<Record<string, string>> { return this.r.hgetall(this.k(`figures:${id}:${date}`)) }

  async setTyped(id: string, text: string, by: string): Promise<void> { await this.r.set(this.k(`typed:${id}`), JSON.stringify({ text, by })) }
  async takeTyped(id: string): Promise<{ text: string; by: string } | undefined> {
    const v = await this.r.getdel(this.k(`typed:${id}`))
    return v ? JSON.parse(v) as { text: string; by: string } : undefined
  }

  async log(id: string, fields: Record<string, string | number>): Promise<void> {
    await this.r.xadd(this.k(`log:${id}`), 'MAXLEN', '~', '1000', '*', ...Object.entries(fields).flatMap(([k, v]) => [k, String(v)]))
  }
  async logOf(id: string): Promise<Record<string, string>[]> {
    return (await this.r.xrange(this.k(`log:${id}`), '-', '+')).map(([, f]) => Object.fromEntries(f.reduce<string[][]>((acc, v, i) => (i % 2 ? acc[acc.length - 1].push(v) : acc.push([v]), acc), [])))
  }
}

function parseHash<T>(h: Record<string, string>): Map<string, T> {
  return new Map(Object.entries(h).map(([k, v]) => [k, JSON.parse(v) as T]))
}
