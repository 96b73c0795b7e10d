import { describe, it, expect } from 'vitest';
import { countriesIn, countryMismatch } from '../../../src/domain/rumor/entities.ts';

describe('countriesIn', () => {
  it('finds country names and folds aliases', () => {
    expect([...countriesIn(['美国和英国都封城了'])].sort()).toEqual(['美国', '英国'].sort());
    expect([...countriesIn(['我国南韩澳洲'])].sort()).toEqual(['中国', '澳大利亚', '韩国'].sort());
  });

  it('prefers the longest name', () => {
    expect([...countriesIn(['印度尼西亚发现新病例'])]).toEqual(['印度尼西亚']);
    expect([...countriesIn(['白俄罗斯'])]).toEqual(['白俄罗斯']);
  });

  it('does not read a country into words that only contain its name', () => {
    expect(countriesIn(['湖南非常冷', '今日本市新增一例', '内蒙古下雪了', '集中国内的力量']).size).toBe(0);
  });
});

describe('countryMismatch', () => {
  const set = (...names: string[]) => new Set(names);

  it('is a mismatch when one country replaces another', () => {
    expect(countryMismatch(set('英国'), set('美国'))).toEqual({ message: '英国', rumor: '美国' });
  });

  it('is not a mismatch when the message adds, omits or repeats countries', () => {
    expect(countryMismatch(set('美国', '中国'), set('美国'))).toBeNull();
    expect(countryMismatch(set(), set('美国'))).toBeNull();
    expect(countryMismatch(set('中国'), set())).toBeNull();
    expect(countryMismatch(set('美国'), set('美国', '英国'))).toBeNull();
  });

  it('is not a mismatch when the message names the rumor\'s country beside another one', () => {
    expect(countryMismatch(set('俄罗斯', '日本', '美国'), set('日本', '美国', '韩国'))).toBeNull();
    expect(countryMismatch(set('英国', '中国'), set('中国'))).toBeNull();
    expect(countryMismatch(set('英国', '法国'), set('中国', '美国'))).toEqual({ message: '英国', rumor: '中国' });
  });
});
