/** The series feature installed: the timer its schedulers fire, the relay hook, chat, help. */
import { SeriesApprovals } from './approvals.ts'
import { SeriesChat } from './chat.ts'
import { SERIES_TIMER, SeriesEngine, setSeriesOf, type SeriesHost } from './series.ts'

/**
 * Installs the feature (a `Feature` of compose.ts). Series come from config/series.yaml and the
 * command centre, so it is installed in every process; the process that runs timers upserts the
 * schedulers and makes the runs a downtime missed (within `catchUpMinutes`).
 */
export function installSeries(app: SeriesHost): void {
  const e = new SeriesEngine(app)
  setSeriesOf(app, e)
  const approvals = new SeriesApprovals(e)
  approvalsOf.set(e, approvals)
  app.timers.handle(SERIES_TIMER, data => e.onTimer(data))
  app.relays.decideUnasked((a, r) => approvals.unasked(a, r))
  app.relays.onAwaitingDecision((a, r) => approvals.hint(a, r))
  app.command('approve-series', (person, cmd) => approvals.approve(person, cmd.id).then(reply => [reply]), { audience: 'approver', usage: '通过 系列 <系列编号>（一次通过该系列以后各期）；暂停/恢复/停止 <系列编号>' })
  const chat = new SeriesChat(e, approvals)
  app.use(ctx => chat.handle(ctx))
  app.addHelp('publisher', '通报 [系列编号] 确诊0 疑似0 …（提交通报数据）；系列 <系列编号> <正文>（提交需手写的一期）')
  app.timers.whenStarted(() => {
    void (async () => {
      await e.syncSchedulers()
      await e.catchUp()
    })().catch(err => app.log.error('series.start-failed', { err }))
  })
}

const approvalsOf = new WeakMap<SeriesEngine, SeriesApprovals>()
/** The approvals part of an engine (for the CLI and the command centre). */
export function seriesApprovals(e: SeriesEngine): SeriesApprovals {
  const a = approvalsOf.get(e)
  if (!a) throw new Error('series feature not installed')
  return a
}
