import { describe, it, expect } from 'vitest';
import {
  cleanMessage,
  extractUrls,
  normalizeMessage,
  normalizeUrl,
  stripBoilerplate,
  stripEmoji,
  toSimplified,
} from '../../../src/domain/rumor/normalize.ts';

describe('normalizeMessage', () => {
  it('converts traditional Chinese to simplified', () => {
    expect(toSimplified('醫生說這個藥沒有用')).toBe('医生说这个药没有用');
    expect(normalizeMessage('喝熱水能預防病毒').key).toBe('喝热水能预防病毒');
    // Characters beyond the BMP (two code units) are passed over whole; the rest still converts.
    expect(toSimplified('😀𠮷醫生')).toBe('😀𠮷医生');
    expect(toSimplified('今天天气很好')).toBe('今天天气很好');
  });

  it('folds full-width letters and digits (NFKC) and lower-cases Latin', () => {
    expect(normalizeMessage('５Ｇ基站ＡＢＣ').key).toBe('5g基站abc');
  });

  it('extracts and normalizes URLs and removes them from the text', () => {
    const n = normalizeMessage('点这里 HTTPS://WWW.Fake-Site.cn/a/b/?utm_source=wx&id=7 领钱');
    expect(n.urls).toEqual(['https://fake-site.cn/a/b?id=7']);
    expect(n.key).toBe('点这里领钱');
    // A bare www. link (case-insensitive) is found too; a text with neither "://" nor "." has none.
    expect(extractUrls('看 WWW.Fake-Site.cn/x 这个').urls).toEqual(['http://fake-site.cn/x']);
    expect(extractUrls('没有链接的消息，www')).toEqual({ text: '没有链接的消息，www', urls: [] });
  });

  it('normalizes URLs: host case, trailing slash, tracking parameters', () => {
    expect(normalizeUrl('http://Example.CN/path/')).toBe('http://example.cn/path');
    expect(normalizeUrl('http://example.cn/?utm_medium=x')).toBe('http://example.cn');
    expect(normalizeUrl('www.example.cn/x')).toBe('http://example.cn/x');
  });

  it('removes emoji and WeChat emoji codes', () => {
    expect(stripEmoji('好消息😂👍🏻[捂脸]来了')).toBe('好消息 来了');
    expect(normalizeMessage('太好了🎉🎉').key).toBe('太好了');
  });

  it('removes forwarding boilerplate', () => {
    expect(normalizeMessage('【转发】紧急扩散！喝姜汤能治病，转给家人').key).toBe('喝姜汤能治病');
    expect(normalizeMessage('删前快看：村口要修路了 看到请转发').key).toBe('村口要修路了');
    expect(stripBoilerplate('速看！明天停水')).toContain('明天停水');
    expect(stripBoilerplate('速看！明天停水')).not.toContain('速看');
  });

  it('keeps the boilerplate in the plain text (for cue words) and drops punctuation in the key', () => {
    const n = normalizeMessage('辟谣：这是假的，请勿转发！');
    expect(n.plain).toContain('请勿转发');
    expect(n.key).not.toMatch(/[：，！]/u);
  });

  it('cleanMessage is normalizeMessage without the key and segments', () => {
    const raw = '【转发】喝熱水能預防病毒😂 http://x.cn/a 转给家人';
    const { plain, text, urls } = normalizeMessage(raw);
    expect(cleanMessage(raw)).toEqual({ plain, text, urls });
  });
});
