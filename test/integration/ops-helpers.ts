/** Helpers for the ops tests: a bot runtime with test-only options, and the HTTP app on a free port. */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { createHttpApp } from '../../src/web/api.ts'
import { silentLogger } from '../../src/infra/log.ts'
import { createScraper } from '../../src/infra/metrics.ts'
import type { BotRuntime, BotRuntimeOptions } from '../../src/chat/bot-runtime.ts'
import type { SimDistrict } from '../../src/sim/district.ts'

/** (Re)starts one account as a new process would, with extra runtime options. */
export async function startRuntime(d: SimDistrict, bot: string, extra: Partial<BotRuntimeOptions> = {}): Promise<BotRuntime> {
  await d.stopBot(bot)
  return d.startBot(bot, true, extra)
}

export interface Api { url: string; close(): Promise<void> }

/** The serve HTTP app of a district on a free local port. */
export async function startApi(d: SimDistrict, token: string | undefined): Promise<Api> {
  const http = createHttpApp({ app: d.app, token, log: silentLogger, scraper: createScraper(d.app) })
  const server = await new Promise<Server>(resolve => { const s = http.listen(0, '127.0.0.1', () => resolve(s)) })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
}

/** The value of one series in a Prometheus text exposition (0 when absent). */
export function metricValue(text: string, series: string): number {
  const line = text.split('\n').find(l => l.startsWith(series + ' '))
  return line ? Number(line.slice(series.length + 1)) : 0
}

/** A "too frequent" error as wechat4u raises it (assert on BaseResponse.Ret, response attached). */
export function tooFrequentError(): Error {
  return Object.assign(new Error('1205 == 0'), { tips: '发送文本信息失败', response: { data: { BaseResponse: { Ret: 1205, ErrMsg: '' } } } })
}
