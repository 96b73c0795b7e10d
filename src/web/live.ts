/**
 * Live updates of the command centre over server-sent events. Changes happen in other processes
 * (the bots), so the hub watches rather than listens: while anyone views a page, that view's live
 * region is re-rendered every `pollMs` (once per view, whatever the number of viewers) and pushed
 * to its viewers when it differs from what they have. Viewers see a view through their scope
 * (scope.ts): one render serves every viewer of a view with the same scope, none other. A render reads the same store as a page
 * load, so an update is exactly what a reload would show. Sessions are checked every few seconds:
 * a stream whose session expired or was signed out ends, and the page goes to sign-in.
 */
import { createHash } from 'node:crypto'
import type { Request, Response } from 'express'
import type { Cascade } from '../spine/cascade.ts'
import type { Logger } from '../infra/log.ts'
import type { Sessions } from './session.ts'
import type { Scope } from './scope.ts'
import { renderView } from './views.ts'

export const DEFAULT_POLL_MS = 250
const HEARTBEAT_MS = 15_000
const SESSION_CHECK_MS = 5_000

interface Viewer { res: Response; sid: string; sent?: string; checkedAt: number }
interface Watch { view: string; scope: Scope; viewers: Set<Viewer>; timer?: NodeJS.Timeout; busy: boolean; last?: { hash: string; html: string } }

export class LiveHub {
  private readonly watches = new Map<string, Watch>()
  /** Renders made (for tests and the bench). */
  renders = 0

  constructor(private readonly app: Cascade, private readonly sessions: Sessions, private readonly log: Logger, readonly pollMs = DEFAULT_POLL_MS) {}

  get viewers(): number { let n = 0; for (const w of this.watches.values()) n += w.viewers.size; return n }

  subscribe(view: string, sid: string, scope: Scope, req: Request, res: Response): void {
    if (!/^\/cc\/[\w/.-]*$/.test(view) || view.length > 200) { res.status(400).type('text').send('bad view'); return }
    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no', Connection: 'keep-alive' })
    res.flushHeaders()
    res.write('retry: 1000\n\n')
    const key = `${scope.key}|${view}`
    let w = this.watches.get(key)
    if (!w) {
      w = { view, scope, viewers: new Set(), busy: false }
      this.watches.set(key, w)
    }
    const viewer: Viewer = { res, sid, checkedAt: Date.now() }
    w.viewers.add(viewer)
    const watch = w
    const beat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS)
    req.on('close', () => {
      clearInterval(beat)
      watch.viewers.delete(viewer)
      if (watch.viewers.size === 0) {
        clearTimeout(watch.timer)
        this.watches.delete(key)
      }
    })
    // A (re)connected page first gets the view as it is now: it may have missed changes.
    if (watch.last) this.send(viewer, watch.last)
    if (!watch.timer && !watch.busy) void this.tick(key, watch)
  }

  /** Something changed here (an action of this process): re-render the watched views now. */
  changed(): void {
    for (const [key, w] of this.watches) {
      if (w.busy) continue
      clearTimeout(w.timer)
      w.timer = undefined
      void this.tick(key, w)
    }
  }

  private send(v: Viewer, last: { hash: string; html: string }): void {
    if (v.sent === last.hash) return
    v.sent = last.hash
    v.res.write(`event: html\nid: ${last.hash}\ndata: ${JSON.stringify({ html: last.html })}\n\n`)
  }

  private async tick(key: string, w: Watch): Promise<void> {
    w.busy = true
    const started = Date.now()
    try {
      const r = await renderView(this.app, w.view, w.scope)
      this.renders++
      const body = r ? r.body.s : '<p class="empty">未找到</p>'
      const hash = createHash('sha1').update(body).digest('base64url').slice(0, 16)
      if (w.last?.hash !== hash) w.last = { hash, html: body }
      const now = Date.now()
      for (const v of w.viewers) {
        if (now - v.checkedAt > SESSION_CHECK_MS) {
          v.checkedAt = now
          if (!await this.sessions.get(v.sid)) {
            v.res.write('event: signed-out\ndata: {}\n\n')
            v.res.end()
            w.viewers.delete(v)
            continue
          }
        }
        this.send(v, w.last)
      }
    } catch (err) {
      this.log.warn('cc.live-render-failed', { err: (err as Error).message })
    } finally {
      w.busy = false
      // A view that is slow to render (many big notices on Now) is polled less often: at most a
      // third of the time goes to rendering it.
      const next = Math.max(this.pollMs, 2 * (Date.now() - started))
      if (this.watches.get(key) === w && w.viewers.size > 0) w.timer = setTimeout(() => void this.tick(key, w), next)
    }
  }

  /** Ends every stream (server shutdown). */
  close(): void {
    for (const w of this.watches.values()) {
      clearTimeout(w.timer)
      for (const v of w.viewers) v.res.end()
    }
    this.watches.clear()
  }
}
