/**
 * The rumor library as one process sees it: the config file, the entries curators wrote
 * (`辟谣 S12 …`) and the wordings their decisions taught (`是` / `忽略`, domain/rumor/learning.ts),
 * all but what was undone from the review list. Rebuilt when `rumor:version` in Redis moves, so
 * a process that did not take a decision picks it up at its next message. A rebuild indexes the
 * whole library again: milliseconds for a district's few hundred entries (0.5–1 s for 10,000).
 */
import { existsSync } from 'node:fs'
import { loadRumorLibrary, type RumorEntry } from '../../domain/rumor/library.ts'
import { LearningMatcher, type LearnedRecord } from '../../domain/rumor/learning.ts'
import type { RumorMatch, RumorMatcher } from '../../domain/rumor/matcher.ts'
import type { Logger } from '../../infra/log.ts'
import type { RumorStore, StoredRumor } from './store.ts'

export class LiveRumorLibrary {
  private fileEntries?: Promise<RumorEntry[]>
  private current?: LearningMatcher
  private loadedVersion = -1
  /** Highest `R<n>` in the file: curator entries are numbered above it. */
  private fileFloor = 0

  constructor(private readonly log: Logger, private readonly rumors: RumorStore, private readonly file: string) {}

  /** The matcher of the grown library, brought up to date with Redis. */
  async learning(): Promise<LearningMatcher> {
    const version = await this.rumors.version()
    if (this.current && version === this.loadedVersion) return this.current
    const [file, stored, learned] = await Promise.all([this.fileEntries ??= this.loadFile(), this.rumors.entries(), this.rumors.learned()])
    const ids = new Set(file.map(e => e.id))
    const added = stored.filter(e => !e.removed && !ids.has(e.id))
    this.current = new LearningMatcher([...file, ...added], learned)
    if (this.loadedVersion >= 0) this.log.info('rumor.library-rebuilt', { version, entries: file.length + added.length, learned: learned.filter(r => !r.undone).length })
    this.loadedVersion = version
    return this.current
  }

  async matcher(): Promise<RumorMatcher> {
    return (await this.learning()).matcher
  }

  /** Matches a message against the grown library (near misses curators recorded included). */
  async match(text: string): Promise<RumorMatch> {
    return (await this.learning()).match(text)
  }

  /** Adds a curator's entry in Redis (where every process finds it) under a fresh `R<n>`. */
  async add(entry: Omit<StoredRumor, 'id'>): Promise<StoredRumor> {
    const m = await this.matcher()
    for (;;) {
      const stored: StoredRumor = { ...entry, id: await this.rumors.nextEntryId(this.fileFloor) }
      if (m.get(stored.id)) continue
      if (await this.rumors.addEntry(stored)) return stored
    }
  }

  /** Records what a curator's decision taught (every process rebuilds at its next message). */
  async learn(record: Omit<LearnedRecord, 'code'>): Promise<LearnedRecord> {
    return this.rumors.learn(record)
  }

  private async loadFile(): Promise<RumorEntry[]> {
    let entries: RumorEntry[] = []
    if (existsSync(this.file)) {
      try {
        entries = await loadRumorLibrary(this.file)
      } catch (err) {
        // A broken library must not silence the bot: it keeps the curator-added entries.
        this.log.error('rumor.library-invalid', { file: this.file, error: (err as Error).message })
      }
    } else this.log.warn('rumor.library-missing', { file: this.file })
    for (const e of entries) {
      const n = /^R(\d+)$/.exec(e.id)
      if (n) this.fileFloor = Math.max(this.fileFloor, Number(n[1]))
    }
    this.log.info('rumor.library-loaded', { file: this.file, entries: entries.length })
    return entries
  }
}
