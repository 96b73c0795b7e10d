/**
 * A bot process's own account in its `/metrics` (issue 26, item 2): what only this process knows
 * (logged in by its own client, posts waiting for their echo) and its outbox, labelled by the
 * process (`role="bot"`, `bot`). The district's view of every account (`cascade_bot_*`) is
 * exported by `serve`; these are `cascade_account_*`, so a `sum()` never mixes the two.
 */
import { BotHealth } from '../infra/bot-health.ts'
import { QUEUE_STATES, type Figures } from '../infra/district-figures.ts'
import { gaugesText } from '../infra/metrics-scrape.ts'
import type { Labels } from '../infra/metrics.ts'
import type { BotRuntime } from './bot-runtime.ts'

const HELP: Record<string, string> = {
  cascade_account_logged_in: 'Per bot process: 1 while this process\'s account is logged in, else 0.',
  cascade_account_outbox_depth: 'Per bot process: jobs in this account\'s outbox by state.',
  cascade_account_echo_waiting: 'Per bot process: posts sent and not yet seen back in their group (echo waits).',
  cascade_account_backoff_remaining_seconds: 'Per bot process: seconds this account still pauses after WeChat said "too frequent" (1205).',
}

/** The Prometheus text of the account of `rt`, with the process's labels. */
export async function accountFigures(rt: BotRuntime, labels: Labels): Promise<string> {
  const out: Figures = new Map()
  const one = (name: string, value: number, l: Labels = {}) => out.set(name, [...out.get(name) ?? [], { labels: l, value }])
  const [counts, health] = await Promise.all([rt.app.outboxes.queue(rt.id).getJobCounts(...QUEUE_STATES), new BotHealth(rt.app.store).read(rt.id)])
  one('cascade_account_logged_in', rt.isLoggedIn ? 1 : 0)
  for (const s of QUEUE_STATES) one('cascade_account_outbox_depth', counts[s] ?? 0, { state: s })
  one('cascade_account_echo_waiting', rt.outbox.pendingEchoes)
  one('cascade_account_backoff_remaining_seconds', Math.max(0, ((health.backoffUntil ?? 0) - Date.now()) / 1000))
  return gaugesText(out, HELP, labels)
}
