/**
 * Variants of a library wording, generated from the library itself: how people re-forward a
 * rumor (framing words, forwarding boilerplate, traditional characters, truncation, chatter
 * around it, a number told differently). Training and self-test data for the learned decision
 * (model.ts); every sentence here was written for the project.
 *
 * Pure and deterministic for a given seed.
 */
import * as OpenCC from 'opencc-js';

/** Simplified → traditional (Taiwan), as Cofacts-style LINE messages are written. */
const cnToTw = OpenCC.Converter({ from: 'cn', to: 'tw' });

/** A small seeded random generator (LCG), so training data is reproducible. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
}

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

const FRAMES_BEFORE = ['听说', '有人说', '群里都在传', '刚看到的，', '我姐发来的：', '网上说', '朋友圈都在转：', '亲戚说'];
const FRAMES_AFTER = ['，是真的吗？', '，靠谱吗', '？？', '，大家信不信', '，谁知道真假', '！', '。'];
const FORWARDING = [['【转发】', '！转给家人'], ['紧急扩散！', ''], ['', '，看到请转发'], ['速看：', '，删前快看'], ['转：', ''], ['', ' 转给身边的人']];

/**
 * Chatter around a forwarded story: reactions, hashtags, sign-offs, unrelated news. Written for
 * the project; deliberately about other things than any one rumor.
 */
export const CHATTER = [
  '太吓人了', '大家出门注意安全', '我也不知道真假，先发出来', '#疫情#', '#新冠肺炎#', '#每日一善#',
  '这两天一直下雨，地里的活都耽误了', '今天是立春', '希望早点结束吧', '为一线的医护人员点赞', '加油！',
  '看完心里很不是滋味', '不说了，去做饭了', '转自一个老同学的朋友圈', '原文太长，我摘了一段', '真是活久见',
  '这世道', '哈哈哈哈笑死我了', '有图有真相', '评论区的人怎么看', '我奶奶天天在家里念叨这个', '转发微博',
  '晚上八点还有直播，记得看', '超市里人挤人，真让人担心', '昨天跑了三家药店', '现在的新闻真是看不懂了',
  '我妈让我一定要转给大家', '外面天气不错，可惜不能出门', '春节都过得不安生', '各位老铁怎么看', '收藏了',
];

/**
 * Ordinary chat and news that mention rumor topics without repeating a rumor: the bot must not
 * answer these. Written for the project.
 */
export const TOPICAL_CHAT = [
  '晚上来我家喝两杯白酒，菜都准备好了', '板蓝根在哪个药店还能买到', '家里的醋快用完了，谁去镇上带一瓶',
  '今天用盐水漱了漱口，嗓子舒服多了', '大蒜今年价格涨了不少', '吹风机坏了，谁家有多的借我用用',
  '村里5G信号还是不太好，视频老卡', '我家狗这两天不爱吃东西，是不是病了', '听说明天有雨，晒的东西收一收',
  '超市今天人多，排了半个小时队', '大米还是去年的价，不用着急买', '下午去卫生院打了疫苗，胳膊有点酸',
  '补贴的事去村委会问会计', '健康码怎么截图发给网格员', '火车票改签了，下周二回来', '口罩厂在招工，一天一百五',
  '捐款的名单村委会贴在公告栏了', '防疫站的人今天来登记了，大家配合一下', '镇上的医院今天人不多',
  '孩子在家上网课，网太卡了', '我妈说喝热水对身体好', '今年过年不走亲戚了，视频拜年', '这个病毒到底从哪来的',
  '疫苗要打几针？第二针什么时候', '钟南山院士今天又上电视了', '美国那边疫情好像挺严重的', '武汉的朋友都还好吗',
  '明天村口设卡，进出要登记', '菜市场几点开门？', '快递这几天停了吗', '医院发热门诊在哪栋楼',
  '隔离的那家人今天解除了', '今天全县新增零例，好消息', '核酸检测排队的人好多', '谁知道哪里能买到酒精',
  '狮子座的人最近运气怎么样', '俄罗斯的套娃真好看', '北京今天天气晴', '新闻说学校要开学了吗，有没有准信',
  '意大利面怎么做才好吃', '日本的动漫我家孩子很喜欢', '这个院士的讲座你们看了吗', '飞机晚点了两个小时',
];

/**
 * News and official-notice sentences about the epidemic, written for the project: a long post made
 * of them talks about every rumor's topics (cases, vaccines, drugs, masks, lockdowns, prices)
 * without making any rumor's claim — the hard negative for a decision that weighs shared words.
 */
export const NEWS = [
  '3月5日0时至24时，全省新增确诊病例2例，均为境外输入，无新增死亡病例',
  '截至昨日24时，累计治愈出院病例1360例，现有住院病例18例',
  '市疫情防控指挥部发布通告，即日起恢复城乡公交运营，乘客须佩戴口罩并扫码乘车',
  '卫健委提醒：出现发热、干咳等症状请及时到发热门诊就诊，途中全程佩戴口罩',
  '国家药监局应急批准两款核酸检测试剂上市，检测时间缩短至一小时',
  '某研究团队在期刊发表论文，分析了病毒在不同温度和湿度下的存活时间，结论仍需更多研究',
  '该药物的三期临床试验已在多家医院启动，结果预计在数月后公布',
  '疫苗研发进入第二阶段，首批志愿者已完成接种，目前未发现严重不良反应',
  '市场监管局对哄抬口罩、消毒液价格的三家药店立案调查，并处以罚款',
  '商务部表示粮油肉蛋菜供应充足，价格总体稳定，请市民理性购买',
  '教育厅发布通知，高三年级定于下月中旬错峰开学，其他年级开学时间另行通知',
  '世卫组织总干事在例行记者会上表示，全球疫情仍在加速蔓延，各国需加强检测',
  '多国宣布暂停国际航班，已购机票的旅客可按规定免费退改',
  '海关总署加强进口冷链食品检测，外包装核酸检测结果均为阴性',
  '县慈善总会公布第三批捐赠款物明细，所有款项均通过官方账户接收',
  '公安机关破获一起利用疫情实施电信诈骗的案件，抓获犯罪嫌疑人五名',
  '专家解读：科学佩戴一层医用外科口罩即可，外出回家后及时洗手',
  '农业农村部：畜禽养殖场要做好消毒，目前没有证据显示家禽感染此次病毒',
  '省气象台预计本周气温回升，最高气温将达到二十五度',
  '火神山医院累计收治患者三千余人，医护人员分批撤离返回原单位',
  '通信管理局表示，5G基站建设按计划推进，年底前实现乡镇全覆盖',
  '社区工作人员逐户登记返乡人员信息，请大家主动配合，如实申报',
  '邮政快递业有序复工，寄递包裹实行无接触配送',
  '各地陆续发放消费券，市民可通过官方应用领取',
  '某国总统宣布全国进入紧急状态，为期三十天',
];

/** Traditional characters (Taiwan forms). */
export function toTraditional(text: string): string {
  return cnToTw(text);
}

/** Keeps a leading (or, half the time, a middle) part of 55–85 % of the characters. */
export function truncate(text: string, rnd: () => number): string {
  const chars = [...text];
  const keep = Math.max(6, Math.round(chars.length * (0.55 + rnd() * 0.3)));
  const start = rnd() < 0.5 ? 0 : Math.floor(rnd() * (chars.length - keep + 1));
  return chars.slice(start, start + keep).join('');
}

/** Replaces every number with another one (a count told differently). */
export function renumber(text: string, rnd: () => number): string {
  return text.replace(/\d+/gu, (n) => String(Math.max(1, Math.round(Number(n) * (0.5 + rnd() * 1.5)))));
}

/** Puts 1–4 chatter sentences before and/or after the text. */
export function withChatter(text: string, rnd: () => number): string {
  const before = Array.from({ length: Math.floor(rnd() * 3) }, () => pick(rnd, CHATTER));
  const after = Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => pick(rnd, CHATTER));
  return [...before, text, ...after].join(rnd() < 0.5 ? '，' : ' ');
}

/** A long news post: 2–5 news sentences, sometimes a hashtag header and chatter. */
export function newsPost(rnd: () => number): string {
  const n = 2 + Math.floor(rnd() * 4);
  const body = Array.from({ length: n }, () => pick(rnd, NEWS)).join('。');
  const header = rnd() < 0.5 ? `【#${pick(rnd, NEWS).slice(0, 8 + Math.floor(rnd() * 6))}#】` : '';
  return header + body + (rnd() < 0.3 ? ` ${pick(rnd, CHATTER)}` : '');
}

export function framed(text: string, rnd: () => number): string {
  return `${pick(rnd, FRAMES_BEFORE)}${text}${pick(rnd, FRAMES_AFTER)}`;
}

export function forwarded(text: string, rnd: () => number): string {
  const [before, after] = pick(rnd, FORWARDING);
  return `${before}${text}${after}`;
}

/** The kinds of variant {@link variantsOf} makes, by name. */
export const VARIANT_KINDS = ['same', 'framed', 'forwarded', 'traditional', 'truncated', 'chatter', 'renumbered', 'mixed', 'long'] as const;

/**
 * Variants of one wording, one of each kind. `other` is another wording of the same rumor
 * (the "long" variant joins a truncated piece of both, as a post that retells the story twice).
 */
export function variantsOf(text: string, rnd: () => number, other?: string): { kind: (typeof VARIANT_KINDS)[number]; text: string }[] {
  const mixed = withChatter(truncate(rnd() < 0.5 ? toTraditional(text) : text, rnd), rnd);
  const long = withChatter(`${text}。${other ? truncate(other, rnd) : pick(rnd, CHATTER)}`, rnd);
  return [
    { kind: 'same', text },
    { kind: 'framed', text: framed(text, rnd) },
    { kind: 'forwarded', text: forwarded(text, rnd) },
    { kind: 'traditional', text: toTraditional(text) },
    { kind: 'truncated', text: truncate(text, rnd) },
    { kind: 'chatter', text: withChatter(text, rnd) },
    { kind: 'renumbered', text: renumber(framed(text, rnd), rnd) },
    { kind: 'mixed', text: forwarded(mixed, rnd) },
    { kind: 'long', text: long },
  ];
}
