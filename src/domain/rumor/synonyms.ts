/**
 * Words that say the same thing in epidemic rumors, folded to one form before matching, so that
 * a villager who retells a rumor in their own words ("杀灭" for "杀死", "新型冠状病毒" for "新冠",
 * "抽烟" for "吸烟") shares the claim's character bigrams with the library wording.
 *
 * Written for the project from general usage (everyday and public-health vocabulary), not from
 * any evaluation set. Folding is applied to library wordings and messages alike, after
 * normalization (simplified script, lower-case Latin) and before features are taken.
 *
 * A group folds only words that are interchangeable in a rumor's claim; words whose difference
 * is the claim (封城 vs 封村 is a scope, 涨价 vs 断货 is a different fear) stay apart.
 * Pure.
 */

/** Canonical form → the other ways to say it. */
export const SYNONYM_GROUPS: Readonly<Record<string, readonly string[]>> = {
  新冠病毒: ['新型冠状病毒肺炎', '新型冠状病毒', '新冠状病毒', '新冠肺炎', '新型肺炎', '冠状病毒', '武汉肺炎', '肺炎病毒', 'covid19', 'covid', '新冠', '肺炎'],
  预防: ['防止', '防住', '防范', '抵御', '抵抗', '抵挡', '挡住', '防得住', '防得了'],
  杀死: ['杀灭', '杀掉', '消灭', '弄死', '灭掉', '灭活', '烫死', '烤死', '熏死', '死光', '活不成', '活不了'],
  专家: ['教授', '院士', '医学专家', '权威人士'],
  医生: ['大夫', '医护人员', '医务人员', '医护'],
  打疫苗: ['接种疫苗', '注射疫苗', '种疫苗', '打了疫苗', '打完疫苗'],
  银行卡: ['银行卡号', '储蓄卡', '银行账户', '银行账号', '卡号'],
  链接: ['网址', '网页链接', '连接'],
  验证码: ['短信验证码', '动态码', '校验码'],
  补贴: ['补助金', '补助', '救助金', '补偿金', '补偿款', '补贴款'],
  转账: ['汇款', '打钱', '转钱', '转款', '打款', '先付款'],
  吸烟: ['抽烟', '抽香烟', '烟民', '香烟'],
  消毒液: ['消毒水', '消毒剂', '消毒药水', '消毒药'],
  维生素c: ['维他命c', '维c', 'vc'],
  鞭炮: ['炮仗', '爆竹', '烟花爆竹', '烟花', '鞭炮烟花'],
  生化武器: ['生物武器', '细菌武器', '病毒武器', '细菌战'],
  人造: ['人工合成', '人为制造', '人工制造', '实验室造', '人造出来', '造出来'],
  不孕: ['不孕不育', '不育', '不能生育', '生不了孩子', '生不出孩子', '怀不上', '生不出'],
  快递: ['包裹', '快件', '邮包', '网购包裹'],
  喷洒: ['喷药', '撒药', '洒药', '喷消毒药'],
  白酒: ['高度酒', '烈酒', '烈性酒', '高度白酒', '二锅头', '烧酒', '老白干', '白干', '高粱酒'],
  抗生素: ['头孢', '阿莫西林', '青霉素', '红霉素', '罗红霉素', '阿奇霉素', '左氧氟沙星'],
  大蒜: ['蒜头', '生蒜', '蒜瓣', '大蒜头'],
  盐水: ['淡盐水', '盐开水', '盐巴水'],
  疫苗: ['新冠针', '疫苗针', '预防针'],
  芯片: ['晶片', '电子芯片'],
  高温: ['气温高', '温度高', '天气热', '天热', '天一热', '天气暖和', '气温升高', '温度升高', '气温回升'],
  囤货: ['囤积', '屯货', '囤着', '屯着', '抢购'],
  断货: ['缺货', '脱销', '卖断货', '卖光了', '卖光', '没货', '断供'],
  宠物: ['猫狗', '猫和狗', '狗和猫', '猫猫狗狗', '家养宠物'],
  隐瞒: ['瞒报', '压下来', '捂盖子', '不让说'],
  封城: ['封锁', '封控', '锁城', '戒严'],
  超市: ['商店', '商场', '小卖部', '菜场'],
  关门: ['停业', '歇业', '不开门', '不营业'],
  涨价: ['价格上涨', '价格暴涨', '暴涨', '翻番', '翻倍'],
  消毒: ['杀菌', '消杀'],
  监控: ['监视', '定位', '跟踪'],
  基因: ['dna', '遗传物质'],
  飞机: ['直升机', '无人机'],
  确诊: ['阳性', '感染者'],
  感染: ['染上', '传上', '沾上', '感染上', '被传染'],
  // Dialect and colloquial everyday words, so a message in them is not diluted by words no
  // wording has: 莫得 is 没有, 屋头 is 家里.
  没有: ['莫得', '冇得', '没得'],
  什么: ['啥子', '么子'],
  家里: ['屋头', '屋里头', '家头'],
  知道: ['晓得', '知得'],
  孩子: ['娃娃', '娃子', '小孩'],
};

const CANONICAL = new Map<string, string>();
for (const [canonical, forms] of Object.entries(SYNONYM_GROUPS)) {
  // The canonical form maps to itself, so "新冠病毒" is not read as "新冠" + "病毒".
  for (const form of [canonical, ...forms]) CANONICAL.set(form, canonical);
}

/**
 * Surface forms by their first UTF-16 code unit, longest first: at each position the longest
 * form that starts there wins over its prefixes ("新型冠状病毒肺炎" before "新型冠状病毒").
 * Scanning left to right and taking that form is what one alternation of all forms, longest
 * first, did with a global replace — at a fraction of the cost, since most characters start no
 * form at all and are passed over on one table look-up.
 */
const FORMS_BY_FIRST = new Map<number, string[]>();
/** 1 for a code unit that starts some form. */
const STARTS_FORM = new Uint8Array(0x10000);
for (const form of [...CANONICAL.keys()].sort((a, b) => b.length - a.length)) {
  const first = form.charCodeAt(0);
  STARTS_FORM[first] = 1;
  const forms = FORMS_BY_FIRST.get(first);
  if (forms) forms.push(form);
  else FORMS_BY_FIRST.set(first, [form]);
}

/** "防新冠", "防病毒": a bare 防 before the disease is 预防. */
const BARE_PREVENT = /(?<![预以])防(?=新冠|病毒|疫情|感染|传染)/gu;

/** A bare 蒜 (not 大蒜, not 蒜苗) is garlic. */
const BARE_GARLIC = /(?<!大)蒜(?![苗薹])/gu;

/** Folds synonyms in normalized text to their canonical form. */
export function foldSynonyms(text: string): string {
  let out = '';
  let copied = 0;
  for (let i = 0; i < text.length; i++) {
    if (STARTS_FORM[text.charCodeAt(i)] === 0) continue;
    const form = FORMS_BY_FIRST.get(text.charCodeAt(i))!.find((f) => text.startsWith(f, i));
    if (form === undefined) continue;
    out += text.slice(copied, i) + CANONICAL.get(form)!;
    copied = i + form.length;
    i = copied - 1;
  }
  let folded = copied === 0 ? text : out + text.slice(copied);
  // The two patterns below only matter where their character is.
  if (folded.includes('防')) folded = folded.replace(BARE_PREVENT, '预防');
  if (folded.includes('蒜')) folded = folded.replace(BARE_GARLIC, '大蒜');
  return folded;
}
