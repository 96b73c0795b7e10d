/**
 * Country names in a message or in a rumor's wordings, for the matcher's country-mismatch check:
 * "英国开始给每户人家免费寄口罩" is not the rumor "美国开始给每户人家免费寄口罩" although it
 * shares every other character with it — character n-grams cannot see that the one changed word
 * is the subject of the claim.
 *
 * Names come from a small general list (no segmentation, no model), found by a left-to-right
 * longest-match scan. Words that merely contain a country name are consumed first, so they do
 * not count as one: "湖南非常…" is not 南非, "今日本市…" is not 日本, "内蒙古" is not 蒙古.
 *
 * Only countries: provinces, cities and numbers were measured as the same check and rejected
 * (docs/RUMORS.md, "Country mismatch"): the same rumor travels from province to province
 * (the same school-reopening dates, told of one province after another) and its numbers drift
 * as it is retold, so a different province or number does not make a different rumor.
 *
 * Pure, no I/O.
 */

/** Countries often named in news and rumors, and a few aliases, → canonical name. */
const COUNTRIES = new Map<string, string>([
  ...[
    '中国', '美国', '英国', '法国', '德国', '意大利', '西班牙', '葡萄牙', '荷兰', '比利时', '瑞士', '瑞典',
    '挪威', '丹麦', '芬兰', '冰岛', '爱尔兰', '奥地利', '波兰', '捷克', '匈牙利', '希腊', '俄罗斯', '乌克兰',
    '白俄罗斯', '土耳其', '日本', '韩国', '朝鲜', '蒙古', '越南', '老挝', '柬埔寨', '泰国', '缅甸',
    '马来西亚', '新加坡', '印度尼西亚', '菲律宾', '印度', '巴基斯坦', '孟加拉', '尼泊尔', '斯里兰卡',
    '阿富汗', '伊朗', '伊拉克', '叙利亚', '以色列', '沙特', '阿联酋', '卡塔尔', '科威特', '埃及', '南非',
    '尼日利亚', '肯尼亚', '埃塞俄比亚', '喀麦隆', '摩洛哥', '阿尔及利亚', '加拿大', '墨西哥', '巴西',
    '阿根廷', '智利', '秘鲁', '哥伦比亚', '委内瑞拉', '古巴', '澳大利亚', '新西兰', '哈萨克斯坦',
  ].map((name): [string, string] => [name, name]),
  ['我国', '中国'], ['美利坚', '美国'], ['南韩', '韩国'], ['北韩', '朝鲜'], ['澳洲', '澳大利亚'],
  ['印尼', '印度尼西亚'], ['沙特阿拉伯', '沙特'], ['俄国', '俄罗斯'], ['英格兰', '英国'],
]);

/**
 * Words that contain a country name without naming the country: provinces (湖南 before 南非,
 * 内蒙古 before 蒙古) and day words (今日 before 日本), plus 集中 (集中国内…).
 */
const NOT_COUNTRIES = [
  '湖南', '河南', '云南', '海南', '内蒙古', '今日', '昨日', '明日', '每日', '近日', '当日', '次日', '前日',
  '节日', '生日', '假日', '平日', '往日', '即日', '集中',
];

/** Names by first character, longest first (so "印度尼西亚" wins over "印度"); null = not a country. */
const NAMES_BY_FIRST_CHAR = new Map<string, { text: string; country: string | null }[]>();
for (const [text, country] of [...COUNTRIES, ...NOT_COUNTRIES.map((w): [string, null] => [w, null])]) {
  const list = NAMES_BY_FIRST_CHAR.get(text[0]) ?? [];
  list.push({ text, country });
  list.sort((a, b) => b.text.length - a.text.length);
  NAMES_BY_FIRST_CHAR.set(text[0], list);
}

/** Canonical names of the countries named in punctuation-free texts. */
export function countriesIn(texts: readonly string[]): Set<string> {
  const found = new Set<string>();
  for (const text of texts) {
    let i = 0;
    while (i < text.length) {
      const name = NAMES_BY_FIRST_CHAR.get(text[i])?.find((n) => text.startsWith(n.text, i));
      if (!name) {
        i++;
        continue;
      }
      if (name.country) found.add(name.country);
      i += name.text.length;
    }
  }
  return found;
}

/**
 * A country put in place of another: the message names a country that none of the rumor's
 * wordings names, and names none of the rumor's countries (the rumor's country was replaced,
 * not joined by another). A message that only adds a country ("…中国也有"), names the rumor's
 * country beside others (a news source "据俄罗斯媒体报道" in a story about Japan and the US), or
 * names none is not a mismatch.
 * @returns the two countries, or null.
 */
export function countryMismatch(message: ReadonlySet<string>, rumor: ReadonlySet<string>): { message: string; rumor: string } | null {
  let extra: string | undefined;
  for (const c of message) {
    if (rumor.has(c)) return null;
    extra ??= c;
  }
  if (extra === undefined) return null;
  for (const c of rumor) return { message: extra, rumor: c };
  return null;
}
