/**
 * The inputs of the parser fuzz (test/domain/parsers-fuzz.test.ts) and of its timing benchmark
 * (bench/parsers-bench.ts): every parser a chat message meets, random texts from a seeded
 * generator, and adversarial ones up to 64k characters.
 */
import { readFileSync } from 'node:fs'
import { parseWiden } from '../../src/features/rumors/scope.ts'
import { parseAck } from '../../src/domain/ack.ts'
import { personalCodesIn } from '../../src/domain/announcement.ts'
import { normalizeReport, parseCaseCommand } from '../../src/domain/cases.ts'
import { parseCommand, parseWhen } from '../../src/domain/commands.ts'
import { MAX_INBOUND_CHARS } from '../../src/domain/limits.ts'
import { ACK_SEPARATOR, COMMAND_SEPARATOR, splitQuoteReply } from '../../src/domain/quote.ts'
import { looksLikeCheck, parseRumorCommand, quoteStart, wordLength } from '../../src/domain/rumor/chat.ts'
import { parseRumorLibrary } from '../../src/domain/rumor/library.ts'
import { RumorMatcher } from '../../src/domain/rumor/matcher.ts'

export const matcher = new RumorMatcher(parseRumorLibrary(readFileSync(new URL('../../config/rumors.yaml', import.meta.url), 'utf8'), 'rumors.yaml'))

/** The command parsers a chat message meets on its way (spine, cases, rumors, acknowledgments; codes seen in groups). */
export const PARSERS: Record<string, (text: string) => unknown> = {
  parseCommand, personalCodesIn, parseCaseCommand, parseRumorCommand, parseAck, parseWiden, parseWhen: t => parseWhen(t, Date.UTC(2026, 10, 29)),
}
/**
 * Heavier (they normalize the whole text): run only on what passes the inbound cap, as in the app.
 * Linear too, but ~25 ms at 64k characters.
 */
export const CAPPED: Record<string, (text: string) => unknown> = {
  normalizeReport, looksLikeCheck, wordLength, quoteStart: t => quoteStart(t),
}
/** The rumor matcher is no parser but scores the text against the library: its own, looser bound. */
export const MATCH_BOUND_MS = 50

export const PIECES = [
  '发布', '发布 紧急', '通过', '驳回', '修改', '进度', '待办', '帮助', '绑定', '更正', '撤回', '定时', '演练', '分类',
  '举报', '求助', '接单', '回复', '办结', '转交', '属实', '辟谣', '是', '忽略', '广播', '广播辟谣', '推广', '核实', '已通知', '覆盖',
  '收到', '已收到', '1', '👌', '👍🏻', '「', '」', '：', ':', '\n', '\r\n', '- ', '- - - - - - - - - - - - - - -', '-', ' ', '\t', '\u3000',
  '\u200b', '\u200c', '\u200d', '\u2005', '\u202e', '\u202d', '\u200f', '\u2066', '\uFEFF', '\uD83D', '\uDE00', '\uDBFF\uDFFF', '\u0000',
  'Ａ７Ｋ２', '７', 'A7K2', 'a7k2', 'C3F9KX', 'C3F9', 'S12', 'Ｓ１２', 'R35', 'K7P2-QX9M-4TRW', 'K7P2-QX9M', '{code}', '{text}', '{{', '}}', '$1', '\\',
  '@朝天北片值守号\u2005', '@', '编号', '编号 A7K2', '紧急', '明天 08:00', '2026-12-01 08:00', '25:61', '。', '！', '？', '吗', '，',
  'http://x.cn/a?b=1', '【转发】', '【紧急通知】', '—— 朝天区 · 编号 A7K2', '板蓝根能防新冠', '是真的吗', '转发扩散', '\u0301', 'é', 'ﬁ', '㍿',
]

/** A small seeded generator (mulberry32): the same inputs every run. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function randomText(r: () => number): string {
  const n = Math.floor(r() * 40)
  let s = ''
  for (let i = 0; i < n; i++) {
    const k = r()
    if (k < 0.6) s += PIECES[Math.floor(r() * PIECES.length)]
    else if (k < 0.8) s += String.fromCharCode(0x4e00 + Math.floor(r() * 0x5000))
    else if (k < 0.9) s += String.fromCharCode(Math.floor(r() * 0x10000)) // anything, lone surrogates included
    else s += String.fromCharCode(0x20 + Math.floor(r() * 0x5f))
  }
  return s
}

export const K64 = 64_000
export const ADVERSARIAL = [
  '「」' + '\n'.repeat(32_000) + 'x', '「」' + '\n'.repeat(K64), '「a：b」' + ' \n'.repeat(K64 / 2) + 'x', '「a：b」\n' + '- \n'.repeat(K64 / 3) + 'x',
  '「'.repeat(K64), '」\n'.repeat(K64 / 2), '「a：' + '」\n- - - -\n'.repeat(K64 / 11), '通过' + ' :'.repeat(K64 / 2), '@' + 'a '.repeat(K64 / 2),
  '@a'.repeat(K64 / 2), '\uD83D'.repeat(K64), '\u200b'.repeat(K64), '\u202e'.repeat(K64), 'Ａ'.repeat(K64), '收'.repeat(K64), ' '.repeat(K64),
  '发布 ' + '{code}'.repeat(K64 / 6), '举报' + '！'.repeat(K64), '接单 ' + 'C'.repeat(K64), '辟谣 S1 ' + '\n'.repeat(K64), '核实' + ' '.repeat(K64) + 'x',
  '1'.repeat(K64), '编号'.repeat(K64 / 2), '- '.repeat(K64 / 2), '「' + '：'.repeat(K64) + '」\n- - - -\n收到', '板蓝根能防新冠'.repeat(K64 / 7),
  '明天 ' + '0'.repeat(K64) + ':00', '\n'.repeat(K64) + '收到', 'x'.repeat(MAX_INBOUND_CHARS), '「」' + '\n'.repeat(MAX_INBOUND_CHARS - 3) + 'x',
]

export function timed(fn: () => unknown): number {
  const t = performance.now()
  fn()
  return performance.now() - t
}

