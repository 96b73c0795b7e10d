/**
 * The inbox installed: feeds polled by job schedulers (in the process that runs timers), and
 * the publishers' commands in chat:
 *   待选                          the items waiting, newest first
 *   选用 I3 [类别] [修改后的正文]  published as a notice from the publisher's node
 *   不用 I3                       dismissed
 *   收录 <正文>                   a forwarded text put into the inbox
 */
import type { InboundContext } from '../../spine/inbound.ts'
import { normalizeChat } from '../../domain/text.ts'
import { FEED_TIMER, pollFeed, syncFeedSchedulers } from './feeds.ts'
import { INBOX_STATE_ZH, Inbox, setInboxOf, type InboxHost, type InboxItem } from './inbox.ts'

const SELECT = /^选用\s*([Ii]\d{1,9})(?:[\s:：]+([\s\S]*))?$/
const DISMISS = /^不用\s*([Ii]\d{1,9})$/
const ADD = /^收录[\s:：]+([\s\S]+)$/
const LIST_SHOWN = 10

export function installInbox(app: InboxHost): void {
  const inbox = new Inbox(app)
  setInboxOf(app, inbox)
  const feeds = app.cfg.series?.feeds ?? []
  app.timers.handle(FEED_TIMER, async data => {
    const feed = feeds.find(f => f.id === data.feed)
    if (feed) await pollFeed(inbox, feed)
  })
  app.timers.whenStarted(() => { syncFeedSchedulers(inbox, feeds).catch(err => app.log.error('inbox.start-failed', { err })) })
  app.use(ctx => handle(inbox, ctx))
  app.addHelp('publisher', '待选（上级和外部来的待选内容）；选用 I3 [类别] [正文]；不用 I3；收录 <正文>')
}

/** One line of an item in chat. */
export function itemLine(i: InboxItem): string {
  const head = i.title || i.text
  return `${i.id}（${i.source}${i.changes ? '，已更新' : ''}）${head.length > 40 ? `${head.slice(0, 40)}…` : head}`
}

async function handle(inbox: Inbox, { msg, person }: InboundContext): Promise<string[] | undefined> {
  if (!person || msg.topic || msg.kind === 'image') return undefined
  const text = normalizeChat(msg.text).trim()
  const head = text.normalize('NFKC')
  const app = inbox.app
  const origin = app.rolesOf(person).publisher[0]
  // Only these exact forms are the inbox's; anything else (不用了，谢谢) passes on to the next handler.
  const exact = head === '待选' || SELECT.test(head) || DISMISS.test(head) || ADD.test(text)
  if (!exact && !(origin && /^(选用|不用|收录)\s*$/.test(head))) return undefined
  if (!origin) return [app.t('not_publisher')]
  if (head === '待选') {
    const items = await inbox.list('waiting', LIST_SHOWN)
    return [items.length ? app.t('inbox_list', { count: items.length, items: items.map(itemLine).join('\n') }) : app.t('inbox_empty')]
  }
  let m = SELECT.exec(head)
  if (m) {
    // [类别] first when it is one of the network's categories; the rest, as typed, is the edited text.
    const rest = (/^选用\s*[Ii]\d{1,9}[\s:：]*([\s\S]*)$/.exec(msg.text.trim())?.[1] ?? '').trim()
    const first = rest.split(/\s+/)[0] ?? ''
    const category = app.cfg.categories.includes(first) ? first : undefined
    const edited = (category ? rest.slice(first.length) : rest).trim()
    const r = await inbox.select(m[1], person, origin, { category, text: edited || undefined })
    if (r.problem === 'unknown') return [app.t('inbox_unknown', { id: m[1].toUpperCase() })]
    if (r.problem === 'decided') return [app.t('inbox_already', { id: r.item!.id, state: INBOX_STATE_ZH[r.item!.state] })]
    return [app.t('inbox_published', { id: r.item!.id, code: r.code! })]
  }
  m = DISMISS.exec(head)
  if (m) {
    const r = await inbox.dismiss(m[1], person)
    if (r.problem === 'unknown') return [app.t('inbox_unknown', { id: m[1].toUpperCase() })]
    if (r.problem === 'decided') return [app.t('inbox_already', { id: r.item!.id, state: INBOX_STATE_ZH[r.item!.state] })]
    return [app.t('inbox_dismissed', { id: r.item!.id })]
  }
  m = ADD.exec(msg.text.trim()) ?? ADD.exec(text)
  if (m) {
    const r = await inbox.add({ source: 'chat', text: m[1], by: person })
    return [r.outcome === 'duplicate' ? app.t('inbox_duplicate', { id: r.item.id }) : app.t('inbox_added', { id: r.item.id })]
  }
  return [app.t('inbox_usage')]
}
