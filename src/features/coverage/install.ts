/** The coverage feature installed: listeners, the deadline timer, its chat, grid workers for cases, help. */
import { provideGridWorkers } from '../cases/cases.ts'
import { CoverageChat } from './chat.ts'
import { Coverage, DEADLINE_TIMER, setCoverageOf, type CoverageHost } from './coverage.ts'

/** Installs the feature (a `Feature` of compose.ts); does nothing without config/households.yaml. */
export function installCoverage(app: CoverageHost): void {
  const cfg = app.cfg.households
  if (!cfg) return
  const c = new Coverage(app, cfg)
  setCoverageOf(app, c)
  app.events.on('ack', e => c.onAck(e))
  app.events.on('sent', e => c.onSent(e))
  app.timers.handle(DEADLINE_TIMER, data => c.onDeadline(data))
  const chat = new CoverageChat(c)
  app.use(ctx => chat.handle(ctx))
  // Cases (tips, help requests) also go to the reporter's grid worker, found by their nickname.
  provideGridWorkers(app, {
    gridWorkersOf: (village, reporter) => {
      const place = c.idx.locate(village, reporter.name)
      return place.kind === 'household' ? c.idx.grid(village, place.grid)?.workers ?? [] : []
    },
  })
  app.addHelp('grid-worker', '已通知 <户名>（电话/上门告知后登记，多户用空格隔开）')
  app.addHelp('anyone-bound', '覆盖 <编号>（各村、各网格到户情况）')
}
