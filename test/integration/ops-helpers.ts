/** Helpers for the ops tests: a bot runtime with test-only options, and the HTTP app on a free port. */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { createHttpApp } from '../../src/web/api.ts'
import { silentLogger } from '../../src/infra/log.ts'
import { createScraper } from '../../src/infra/metrics-scrape.ts'
import type { BotRuntime, BotRuntimeOptions } from '../../src/chat/bot-runtime.ts'
import type { SimDistrict } from '../../src/sim/district.ts'

/** (Re)starts one account as a new process would, with extra runtime options. */
export async function startRuntime(d: SimDistrict, bot: string, extra: Partial<BotRuntimeOptions> = {}): Promise<BotRuntime> {
  await d.stopBot(bot)
  return d.startBot(bot, true, extra)
}

export interface Api { url: string; close(): Promise<void> }

/** The serve HTTP app of a district on a free local port. */
export async function startApi(d: SimDistrict, token: string | undefined, scraper = createScraper(d.app)): Promise<Api> {
  const http = createHttpApp({ app: d.app, token, log: silentLogger, scraper })
  const server = await new Promise<Server>(resolve => { const s = http.listen(0, '127.0.0.1', () => resolve(s)) })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
}

function parseSeries(s: string): { name: string; labels: Record<string, string> } {
  const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?$/.exec(s.trim())
  if (!m) throw new Error(`not a series: ${s}`)
  return { name: m[1], labels: Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(x => [x[1], x[2]])) }
}

/**
 * The value of one series in a Prometheus text exposition: the sum over the lines of that name whose
 * labels include the given ones, in any order (0 when none), as `sum()` would give.
 */
export function metricValue(text: string, series: string): number {
  const want = parseSeries(series)
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(want.name) || line.startsWith('#')) continue
    const sp = line.lastIndexOf(' ')
    const got = parseSeries(line.slice(0, sp))
    if (got.name === want.name && Object.entries(want.labels).every(([k, v]) => got.labels[k] === v)) sum += Number(line.slice(sp + 1))
  }
  return sum
}

/** Whether a series (name with these labels, any order) is in the text at all. */
export function hasSeries(text: string, series: string): boolean {
  const want = parseSeries(series)
  return text.split('\n').some(line => {
    if (line.startsWith('#') || !line.startsWith(want.name)) return false
    const got = parseSeries(line.slice(0, line.lastIndexOf(' ')))
    return got.name === want.name && Object.entries(want.labels).every(([k, v]) => got.labels[k] === v)
  })
}

/** A "too frequent" error as wechat4u raises it (assert on BaseResponse.Ret, response attached). */
export function tooFrequentError(): Error {
  return Object.assign(new Error('1205 == 0'), { tips: '发送文本信息失败', response: { data: { BaseResponse: { Ret: 1205, ErrMsg: '' } } } })
}
