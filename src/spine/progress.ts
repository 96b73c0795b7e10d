/** A notice's progress down the tree: the status tree (web, API, CLI) and its text (`进度`). */
import type { Announcement } from '../domain/announcement.ts'
import { buildStatus, renderStatus, type StatusNode } from '../domain/status.ts'
import type { Store } from '../store/store.ts'
import type { Directory } from './directory.ts'

export class Progress {
  constructor(private readonly d: { dir: Directory; store: Store; now: () => number }) {}

  async statusTree(code: string): Promise<{ announcement: Announcement; root: StatusNode | undefined } | undefined> {
    const { store, dir } = this.d
    const stored = await store.announcement(code)
    if (!stored) return undefined
    const [relays, deliveries, acksByTopic, cancelledBy] = await Promise.all([store.relays(code), store.deliveries(code), store.ackCounts(code), store.cancelledBy(code)])
    // The retraction is its own key (checked before every post); the status shows it.
    const a: Announcement = cancelledBy ? { ...stored, cancelledBy } : stored
    const root = buildStatus({
      announcement: a, relays, deliveries, acksByTopic,
      personName: id => dir.personName(id),
      tree: id => {
        const n = dir.cfg.nodes.get(id)
        return n && { id, name: n.name, children: dir.children(id) }
      },
    })
    return { announcement: a, root }
  }

  async statusText(code: string): Promise<string | undefined> {
    const s = await this.statusTree(code.toUpperCase())
    if (!s) return undefined
    return renderStatus(s.announcement, s.root, this.d.dir.personName(s.announcement.author), this.d.dir.nodeName(s.announcement.originNode), this.d.now())
  }
}
