/** What every command-centre view shares: its rendered shape and the way it says how long ago. */
import type { Html } from './html.ts'

export interface Rendered { title: string; section: string; body: Html }

export function ago(ms: number): string {
  // Minutes at the finest: a live page then changes once a minute, not every second.
  const m = Math.floor(Math.max(0, ms) / 60_000)
  if (m < 1) return '不到 1 分钟'
  if (m < 60) return `${m} 分钟`
  const h = Math.floor(m / 60)
  return h < 48 ? `${h} 小时 ${m % 60} 分` : `${Math.floor(h / 24)} 天`
}
