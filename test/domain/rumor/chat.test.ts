import { describe, expect, it } from 'vitest';
import { looksLikeCheck, parseRumorCommand, quoteStart, wordLength } from '../../../src/domain/rumor/chat.ts';

describe('rumor chat commands', () => {
  it('parses the curator and publisher verbs with a code, full-width too', () => {
    expect(parseRumorCommand('是 S12')).toEqual({ kind: 'confirm', code: 'S12' });
    expect(parseRumorCommand('是ｓ１２')).toEqual({ kind: 'confirm', code: 'S12' });
    expect(parseRumorCommand('忽略：S3 不是谣言')).toEqual({ kind: 'dismiss', code: 'S3' });
    expect(parseRumorCommand('辟谣 S12 经检测，水质正常。')).toEqual({ kind: 'rebut', code: 'S12', text: '经检测，水质正常。' });
    expect(parseRumorCommand('广播 S12')).toEqual({ kind: 'broadcast', ref: 'S12' });
    expect(parseRumorCommand('广播辟谣 r35')).toEqual({ kind: 'broadcast', ref: 'R35' });
    expect(parseRumorCommand('核实 喝白酒能防新冠吗')).toEqual({ kind: 'check', text: '喝白酒能防新冠吗' });
  });

  it('answers a verb with a missing part with its usage, and leaves chat alone', () => {
    expect(parseRumorCommand('辟谣 S12')).toMatchObject({ kind: 'malformed', usage: expect.stringContaining('辟谣 <S编号>') });
    for (const chat of ['辟谣：喝白酒不能预防新冠', '是的', '是 S12 吧我也听说了', '忽略它吧', '广播站今天不开', '是S12A']) {
      expect(parseRumorCommand(chat), chat).toBeUndefined();
    }
  });

  it('quotes the first words without boilerplate and tells forwarded DMs from other ones', () => {
    expect(quoteStart('【转发】板蓝根冲剂能防新冠，一家人每天喝两包')).toBe('板蓝根冲剂能防新冠，一家人每…');
    expect(quoteStart('短消息')).toBe('短消息');
    expect(wordLength('收到！')).toBe(2);
    expect(looksLikeCheck('隔壁村水井被投毒了，是真的吗？')).toBe(true);
    expect(looksLikeCheck('紧急扩散！明天封村')).toBe(true);
    expect(looksLikeCheck('看看这个 http://scam.example.cn/a')).toBe(true);
    expect(looksLikeCheck('我家老人发烧了，怎么办')).toBe(false);
  });
});
