/**
 * The command centre's JSON, for a signed-in session and in its scope (the same scope as its
 * pages and live stream; outside it: 404, as for a code that does not exist).
 *
 *   GET /cc/api/announcements[?state=&since=&until=&limit=]   announcements-list.ts
 *   GET /cc/api/announcements/:code                           the status tree as the scope sees it
 */
import type express from 'express'
import type { Cascade } from '../spine/cascade.ts'
import type { Authed } from './chrome.ts'
import { listAnnouncements, parseListQuery } from './announcements-list.ts'
import { noticeInScope, scopedTree } from './view-kit.ts'

export function mountScopedApi(r: express.Router, app: Cascade): void {
  r.get('/api/announcements', async (req, res) => {
    const q = parseListQuery(req.query as Record<string, unknown>)
    if ('problems' in q) { res.status(400).json({ error: 'bad query', problems: q.problems }); return }
    res.set('Cache-Control', 'no-store').json({ announcements: await listAnnouncements(app, q, (res.locals.auth as Authed).scope) })
  })

  r.get('/api/announcements/:code', async (req, res) => {
    const { scope } = res.locals.auth as Authed
    const code = String(req.params.code).toUpperCase()
    const s = /^[A-Z0-9]{4}$/.test(code) ? await app.statusTree(code) : undefined
    if (!s || !noticeInScope(s.announcement, s.root, scope)) { res.status(404).json({ error: `no announcement with code ${code}` }); return }
    res.set('Cache-Control', 'no-store').json({ announcement: s.announcement, root: scopedTree(s.root, scope) })
  })
}
