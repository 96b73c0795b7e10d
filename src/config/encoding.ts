/**
 * Config files must be UTF-8. A file saved as GBK (common on Chinese Windows) would otherwise
 * pass validation with garbled names, and a UTF-16 file would fail with its whole text in the
 * error. `decodeConfigFile` accepts UTF-8 (with or without a byte-order mark) and otherwise says
 * which encoding the file looks like and the command that converts it — never the file's text.
 */

export type Decoded = { ok: true; text: string } | { ok: false; problem: string }

/** A shell word for a file name in a suggested command. */
function quoted(file: string): string {
  return /^[\w./-]+$/.test(file) ? file : `'${file.replace(/'/g, `'\\''`)}'`
}

function convert(file: string, from: string): string {
  const f = quoted(file)
  return `convert it with: iconv -f ${from} -t UTF-8 ${f} > ${f}.utf8 && mv ${f}.utf8 ${f}`
}

/** 1-based line of a byte offset (counting LF bytes, which every encoding here keeps as 0x0A). */
function lineAt(buf: Uint8Array, offset: number): number {
  let line = 1
  for (let i = 0; i < offset && i < buf.length; i++) if (buf[i] === 0x0a) line++
  return line
}

/** UTF-16 without a byte-order mark: mostly ASCII text has a NUL in every other byte. */
function utf16Without(buf: Uint8Array): 'LE' | 'BE' | undefined {
  const n = Math.min(buf.length, 4096) & ~1
  if (n < 4) return undefined
  let evenNul = 0
  let oddNul = 0
  for (let i = 0; i < n; i += 2) {
    if (buf[i] === 0) evenNul++
    if (buf[i + 1] === 0) oddNul++
  }
  const pairs = n / 2
  if (oddNul > pairs * 0.3 && evenNul < pairs * 0.05) return 'LE'
  if (evenNul > pairs * 0.3 && oddNul < pairs * 0.05) return 'BE'
  return undefined
}

/** The first offset where the bytes are not valid UTF-8. */
function firstInvalidUtf8(buf: Uint8Array): number {
  for (let i = 0; i < buf.length;) {
    const b = buf[i]
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0
    if (len === 0) return i
    for (let k = 1; k < len; k++) if (i + k >= buf.length || (buf[i + k] & 0xc0) !== 0x80) return i
    i += len
  }
  return -1
}

function decodes(buf: Uint8Array, encoding: string): boolean {
  try {
    new TextDecoder(encoding, { fatal: true }).decode(buf)
    return true
  } catch {
    return false
  }
}

/** The text of a config file's bytes, or the problem to report (which encoding, how to convert). */
export function decodeConfigFile(buf: Uint8Array, file: string): Decoded {
  if (buf[0] === 0xff && buf[1] === 0xfe) return { ok: false, problem: `the file is UTF-16 (little-endian, with a byte-order mark), not UTF-8; ${convert(file, 'UTF-16')}` }
  if (buf[0] === 0xfe && buf[1] === 0xff) return { ok: false, problem: `the file is UTF-16 (big-endian, with a byte-order mark), not UTF-8; ${convert(file, 'UTF-16')}` }
  const bomless = utf16Without(buf)
  if (bomless) return { ok: false, problem: `the file looks like UTF-16 ${bomless === 'LE' ? 'little' : 'big'}-endian without a byte-order mark (a NUL in every other byte), not UTF-8; ${convert(file, `UTF-16${bomless}`)}` }
  const start = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0
  const body = buf.subarray(start)
  const bad = firstInvalidUtf8(body)
  if (bad < 0) {
    const text = new TextDecoder('utf-8').decode(body)
    if (text.includes('\0')) return { ok: false, problem: `the file contains NUL bytes (line ${lineAt(body, body.indexOf(0))}): it is not a text file in UTF-8` }
    return { ok: true, text }
  }
  const where = `first non-UTF-8 bytes on line ${lineAt(body, bad)}`
  if (decodes(body, 'gbk')) return { ok: false, problem: `the file is not UTF-8 (${where}); it looks like GBK (GB2312/GB18030, as saved by Chinese Windows), which would show garbled names; ${convert(file, 'GBK')}` }
  if (decodes(body, 'gb18030')) return { ok: false, problem: `the file is not UTF-8 (${where}); it looks like GB18030; ${convert(file, 'GB18030')}` }
  if (decodes(body, 'big5')) return { ok: false, problem: `the file is not UTF-8 (${where}); it looks like Big5; ${convert(file, 'BIG5')}` }
  return { ok: false, problem: `the file is not UTF-8 (${where}) and its encoding is not recognised; save it as UTF-8 in your editor` }
}
