/**
 * Wire formats of the web-WeChat protocol as the simulated server writes them: text encoding
 * (HTML escaping, emoji spans), ids, tickets, and the JSON records (contacts, messages,
 * sync keys) that wechat4u parses.
 */
import { randomBytes } from 'node:crypto'

/** Lower-case hex of `bytes` random bytes. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex')
}

/** A login uuid shaped like the real ones (10 url-safe characters and `==`). */
export function newUuid(): string {
  return randomBytes(8).toString('base64url').slice(0, 10) + '=='
}

/** A web session id (wxsid): 16 characters of letters, digits, `+` and `/` in the real service; letters and digits here. */
export function newSid(): string {
  return randomBytes(12).toString('base64').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 16)
}

/** A skey: `@crypt_` + 8 hex + `_` + 32 hex. */
export function newSkey(): string {
  return `@crypt_${randomHex(4)}_${randomHex(16)}`
}

export function newTicket(): string {
  return randomBytes(18).toString('base64url')
}

/** A number-like message id (web WeChat's MsgId is a decimal string of ~19 digits). */
export function msgIdFrom(n: bigint): string {
  return n.toString()
}

const EMOJI_RE = /\p{Extended_Pictographic}/u

function isEmojiCodePoint(cp: number, ch: string): boolean {
  if (cp < 0x2000) return false
  if (cp >= 0x1f1e6 && cp <= 0x1f1ff) return true // regional indicators (flags)
  if (cp >= 0x1f3fb && cp <= 0x1f3ff) return true // skin tones
  return EMOJI_RE.test(ch)
}

/**
 * Emoji as web WeChat writes them in contents and names: each emoji code point becomes
 * `<span class="emoji emoji1f602"></span>`; the variation selector U+FE0F is dropped (wechat4u's
 * `convertEmoji` turns the spans back into characters, so a client sees the text without FE0F).
 */
export function encodeEmoji(s: string): string {
  let out = ''
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0
    if (cp === 0xfe0f) continue
    if (isEmojiCodePoint(cp, ch)) out += `<span class="emoji emoji${cp.toString(16).padStart(4, '0')}"></span>`
    else out += ch
  }
  return out
}

/**
 * Text as the server delivers it in `Content`: `&`, `<`, `>` escaped, newlines as `<br/>`,
 * emoji as spans. (Quotes are left as they are: not known whether the real service escapes them.)
 */
export function encodeWebText(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, '<br/>')
  return encodeEmoji(escaped)
}

/** A name (NickName, topic, RemarkName) as it appears in contact records. */
export function encodeWebName(name: string): string {
  return encodeWebText(name)
}

export interface SyncKeyList { Count: number; List: { Key: number; Val: number }[] }

/** The sync key for position `seq` of a session's stream (keys 1, 2, 3 and 1000 as the real one). */
export function syncKey(seq: number, base: number): SyncKeyList {
  return {
    Count: 4,
    List: [
      { Key: 1, Val: base + seq },
      { Key: 2, Val: base + seq },
      { Key: 3, Val: base },
      { Key: 1000, Val: Math.floor(base / 1000) },
    ],
  }
}

/** Key 1 of a sync key in wire form `1_123|2_456|...`; undefined when absent. */
export function parseFormattedSyncKey(s: string | null | undefined): number | undefined {
  if (!s) return undefined
  for (const part of s.split('|')) {
    const [k, v] = part.split('_')
    if (k === '1' && v !== undefined && /^\d+$/.test(v)) return Number(v)
  }
  return undefined
}

/** Key 1 of a sync key object from a request body. */
export function parseSyncKeyObject(o: unknown): number | undefined {
  const list = (o as { List?: { Key?: unknown; Val?: unknown }[] } | undefined)?.List
  if (!Array.isArray(list)) return undefined
  const e = list.find(x => Number(x?.Key) === 1)
  return e && Number.isFinite(Number(e.Val)) ? Number(e.Val) : undefined
}

export function baseResponse(ret = 0, errMsg = ''): { Ret: number; ErrMsg: string } {
  return { Ret: ret, ErrMsg: errMsg }
}

/** A 1x1 transparent GIF, served for avatars. */
export const TINY_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')

/** A text message record as it appears in webwxsync's AddMsgList. */
export function addMsgRecord(o: {
  msgId: string; from: string; to: string; content: string; createTime: number; msgType?: number;
  statusNotifyUserName?: string; statusNotifyCode?: number
}): Record<string, unknown> {
  return {
    MsgId: o.msgId,
    FromUserName: o.from,
    ToUserName: o.to,
    MsgType: o.msgType ?? 1,
    Content: o.content,
    Status: 3,
    ImgStatus: 1,
    CreateTime: o.createTime,
    VoiceLength: 0,
    PlayLength: 0,
    FileName: '',
    FileSize: '',
    MediaId: '',
    Url: '',
    AppMsgType: 0,
    StatusNotifyCode: o.statusNotifyCode ?? 0,
    StatusNotifyUserName: o.statusNotifyUserName ?? '',
    RecommendInfo: {
      UserName: '', NickName: '', QQNum: 0, Province: '', City: '', Content: '', Signature: '', Alias: '',
      Scene: 0, VerifyFlag: 0, AttrStatus: 0, Sex: 0, Ticket: '', OpCode: 0,
    },
    ForwardFlag: 0,
    AppInfo: { AppID: '', Type: 0 },
    HasProductId: 0,
    Ticket: '',
    ImgHeight: 0,
    ImgWidth: 0,
    SubMsgType: 0,
    NewMsgId: Number(o.msgId.slice(-15)),
    OriContent: '',
    EncryFileName: '',
  }
}
