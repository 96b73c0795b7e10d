/**
 * Counts the spine's events into the shared metrics (src/infra/metrics.ts): sends, time from
 * publish to each group, curators' waits, acknowledgments. Installed in every process.
 */
import { METRICS, metricsOf } from '../../infra/metrics.ts'
import type { Cascade } from '../../spine/cascade.ts'

const SECOND = 1000

/** What of the spine the metrics feature uses. */
export type MetricsHost = Pick<Cascade, 'store' | 'cfg' | 'events' | 'groupOf'>

export function installMetrics(app: MetricsHost): void {
  const m = metricsOf(app)
  const tier = (node: string) => app.cfg.nodes.get(node)?.level ?? 'unknown'
  app.events.on('send-done', e => m.inc(METRICS.sends, { bot: e.bot, outcome: e.outcome }))
  app.events.on('sent', async e => {
    const from = Math.max(e.announcement.createdAt, e.announcement.scheduledAt ?? 0)
    await m.observe(METRICS.publishToGroup, { tier: tier(e.node) }, Math.max(0, e.at - from) / SECOND)
  })
  app.events.on('decided', e => {
    const r = e.relay
    if (r.decidedAt === undefined) return
    return m.observe(METRICS.approvalWait, { tier: tier(r.node), decision: r.state }, Math.max(0, r.decidedAt - r.openedAt) / SECOND)
  })
  app.events.on('ack', e => m.inc(METRICS.acks, { tier: tier(app.groupOf(e.topic)?.node ?? '') }))
}

