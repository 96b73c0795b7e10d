/**
 * The rumor feature's chat commands and text helpers. Pure.
 *
 * Curators answer a suggestion `S12`: `是 S12` (it is the suggested rumor), `辟谣 S12 <反驳>`
 * (a new rebuttal written for it), `忽略 S12`. Publishers broadcast a rebuttal down the tree with
 * `广播 S12` or `广播辟谣 R35`. Anyone may ask `核实 <消息>` in a DM.
 */
import { normalizeMessage, stripBoilerplate, stripEmoji } from './normalize.ts';

export type RumorCommand =
  | { kind: 'confirm'; code: string }
  | { kind: 'rebut'; code: string; text: string }
  | { kind: 'dismiss'; code: string }
  /** `ref` is a suggestion code (`S12`) or a library id (`R35`). */
  | { kind: 'broadcast'; ref: string }
  | { kind: 'check'; text: string }
  | { kind: 'malformed'; usage: string };

/** How each command is written, for help and malformed-command answers. */
export const RUMOR_USAGE = {
  confirm: '是 <S编号>',
  rebut: '辟谣 <S编号> <辟谣内容>',
  dismiss: '忽略 <S编号>',
  broadcast: '广播 <S编号> 或 广播辟谣 <R编号>',
  check: '核实 <消息原文>',
} as const;

/** A verb, then a suggestion code or a library id (half- or full-width), then the rest. */
const COMMAND = /^(广播辟谣|广播|辟谣|是|忽略)[\s:：]*([SRＳＲsrｓｒ][0-9０-９]{1,7})(?![0-9０-９A-Za-zＡ-Ｚａ-ｚ])[\s:：,，]*([\s\S]*)$/u;
const CHECK = /^核实(?:[\s:：]+|$)([\s\S]*)$/u;

/**
 * Parses a rumor command, or `undefined` when the text is not one (a villager's "辟谣：…" post
 * with no code is chat, not a command). Free text (the rebuttal) keeps the curator's characters.
 */
export function parseRumorCommand(raw: string): RumorCommand | undefined {
  const text = raw.trim();
  const check = CHECK.exec(text);
  if (check) return { kind: 'check', text: check[1].trim() };
  const m = COMMAND.exec(text);
  if (!m) return undefined;
  const verb = m[1];
  const code = m[2].normalize('NFKC').toUpperCase();
  const free = m[3].trim();
  const isSuggestion = code.startsWith('S');
  switch (verb) {
    case '广播':
    case '广播辟谣':
      return free === '' ? { kind: 'broadcast', ref: code } : { kind: 'malformed', usage: RUMOR_USAGE.broadcast };
    case '辟谣':
      if (!isSuggestion) return undefined;
      return free ? { kind: 'rebut', code, text: free } : { kind: 'malformed', usage: RUMOR_USAGE.rebut };
    case '是':
      if (!isSuggestion) return undefined;
      return free === '' ? { kind: 'confirm', code } : undefined;
    default: // 忽略: anything after the code is the curator's note, not needed
      return isSuggestion ? { kind: 'dismiss', code } : undefined;
  }
}

/** Letters and digits in a message after normalization: the measure of "too short to matter". */
export function wordLength(text: string): number {
  return [...normalizeMessage(text).key].length;
}

/** Question cues: someone asks whether what they read is true. */
const ASKS_IF_TRUE = /真的吗|真的假的|是不是真的|是否属实|靠谱吗|可信吗|能信吗|是谣言吗/u;

/**
 * Whether a DM looks like something pasted or forwarded to be checked: forwarding boilerplate,
 * a link, or a question whether it is true. Other DMs are left to other features.
 */
export function looksLikeCheck(text: string): boolean {
  const n = normalizeMessage(text);
  return n.urls.length > 0 || n.plain.replace(/\s+/gu, '') !== n.text.replace(/\s+/gu, '') || ASKS_IF_TRUE.test(n.plain);
}

/** Characters of a message quoted in a reply, so the group sees which message is meant. */
export const QUOTE_CHARS = 14;

/** The first words of a message, on one line, without emoji and forwarding boilerplate, with "…" when cut. */
export function quoteStart(text: string, chars = QUOTE_CHARS): string {
  const cleaned = stripBoilerplate(stripEmoji(text)).replace(/\s+/gu, ' ').replace(/^[\s\p{P}]+/u, '').trim();
  const flat = [...(cleaned || text.trim())];
  return flat.length > chars ? `${flat.slice(0, chars).join('')}…` : flat.join('');
}
