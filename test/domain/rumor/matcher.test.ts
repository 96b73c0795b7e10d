import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseRumorLibrary, type RumorEntry } from '../../../src/domain/rumor/library.ts';
import { RumorMatcher, REPLY_THRESHOLD, SUGGEST_THRESHOLD, sharesClaim } from '../../../src/domain/rumor/matcher.ts';
import { defaultRumorModel } from '../../../src/domain/rumor/model.ts';

const library = parseRumorLibrary(readFileSync('test/fixtures/rumors-small.yaml', 'utf8'), 'rumors-small.yaml');
const matcher = new RumorMatcher(library);

describe('RumorMatcher actions', () => {
  it('replies to a forwarded variant of a known rumor', () => {
    const r = matcher.match('【转发】喝高度白酒可以杀死新冠病毒，每天一杯！转给家人');
    expect(r).toMatchObject({ id: 'T01', action: 'reply' });
    expect(r.score).toBeGreaterThanOrEqual(REPLY_THRESHOLD);
    expect(r.rumor?.rebuttal).toContain('酒精');
  });

  it('replies to a traditional-Chinese variant', () => {
    expect(matcher.match('每天喝板藍根就能預防新冠肺炎')).toMatchObject({ id: 'T02', action: 'reply' });
  });

  it('answers a question about a rumor', () => {
    expect(matcher.match('喝高度白酒能杀死新冠病毒，是真的吗？')).toMatchObject({ id: 'T01', action: 'reply' });
    expect(matcher.match('听说5G基站会传播新冠病毒？')).toMatchObject({ id: 'T05', action: 'reply' });
  });

  it('suggests (asks a curator) when the wording is only partly similar', () => {
    const r = matcher.match('今晚要关好门窗吗');
    expect(r.action).toBe('suggest');
    expect(r.id).toBe('T03');
    expect(r.score).toBeGreaterThanOrEqual(SUGGEST_THRESHOLD);
    expect(r.score).toBeLessThan(REPLY_THRESHOLD);
  });

  it('ignores ordinary chat, even when it mentions a rumor word', () => {
    for (const text of ['晚上来我家喝两杯白酒', '板蓝根在哪里能买到', '今天地里的活干完了', '村里5G信号不太好']) {
      expect(matcher.match(text).action, text).not.toBe('reply');
    }
    expect(matcher.match('今天地里的活干完了')).toMatchObject({ id: null, action: 'ignore' });
  });

  it('ignores short messages', () => {
    for (const text of ['收到', '好的👍', '1', '谢谢！']) expect(matcher.match(text)).toMatchObject({ id: null, action: 'ignore' });
  });

  it('never replies to rebuttals and official notices', () => {
    const texts = [
      '辟谣：喝高度白酒不能杀死新冠病毒',
      '经核实，今晚飞机在空中喷洒消毒药系谣言',
      '喝板蓝根不能预防新冠肺炎，大家不要相信',
      '不信谣不传谣，5G基站不会传播新冠病毒',
      '镇指挥部通报：截至今日12时，全镇无新增病例，请以官方发布为准',
    ];
    for (const text of texts) expect(matcher.match(text).action, text).not.toBe('reply');
  });

  it('never replies to a message that denies the claim, but answers an A-not-A question about it', () => {
    for (const text of ['板蓝根防不住新冠病毒，别去抢了', '喝白酒对新冠一点用都没有', '说5G基站传播新冠的都是瞎扯']) {
      const r = matcher.match(text);
      expect(r.action, text).not.toBe('reply');
    }
    // "能不能", "是不是", "管不管用" ask; they do not deny.
    expect(matcher.match('喝板蓝根能不能预防新冠肺炎？')).toMatchObject({ id: 'T02', action: 'reply' });
    expect(matcher.match('喝板蓝根预防新冠肺炎到底管不管用')).toMatchObject({ id: 'T02', action: 'reply' });
  });

  it('does not answer an unlisted remedy that shares only what every remedy rumor says', () => {
    // The rule, isolated from the young library's cut-off (this fixture has 5 entries).
    const grown = new RumorMatcher(library, { model: { ...defaultRumorModel(), replyAtBySize: undefined } });
    const r = grown.match('吃生姜片就能预防新冠病毒感染');
    expect(r.action).not.toBe('reply');
    expect(r.reasons).toContain('shares only the generic claim');
    expect(matcher.match('喝板蓝根就能预防新冠病毒感染')).toMatchObject({ id: 'T02', action: 'reply' });
  });

  it('asks a curator about a short message naming what only one rumor talks about and the disease', () => {
    const project = new RumorMatcher(parseRumorLibrary(readFileSync('config/rumors.yaml', 'utf8'), 'config/rumors.yaml'));
    // Boiling vinegar in dialect: the model finds little shared wording, but 醋 is R02's alone.
    const r = project.match('屋头拿醋煮一锅，那个冠状病毒就莫得了');
    expect(r).toMatchObject({ id: 'R02', action: 'suggest' });
    expect(r.reasons).toContain("the rumor's own word and the disease");
    // Without the disease it is kitchen talk; in a long post it is one word among many.
    expect(project.match('家里的醋快用完了').action).toBe('ignore');
    expect(project.match('今天去镇上买了两瓶醋和一袋米，路上听人聊病毒的事，聊了半天也没个结果，回来天都黑了，饭也没做').action).toBe('ignore');
  });

  it('matches a message the same whatever was matched before it', () => {
    const project = new RumorMatcher(parseRumorLibrary(readFileSync('config/rumors.yaml', 'utf8'), 'config/rumors.yaml'));
    const text = '蚊子叮了病人再叮你就会传上新冠，晚上一定要挂蚊帐';
    const first = project.match(text);
    // A message that goes through the own-word route tests the disease words on its way.
    project.match('屋头拿醋煮一锅，那个冠状病毒就莫得了');
    expect(project.match(text)).toEqual(first);
  });

  it('caps two single shared words and a long post that repeats little of the rumor', () => {
    const project = new RumorMatcher(parseRumorLibrary(readFileSync('config/rumors.yaml', 'utf8'), 'config/rumors.yaml'));
    const r = project.match('营业厅的人说咱村下个月通5G，手机信号能好点了吧');
    expect(r.action).not.toBe('reply');
    expect(r.reasons).toContain('only two single words shared');

    // The long-post cap, isolated: a model that would reply to anything (reply at p ≥ 0.05).
    const story = '美国一家制药公司宣布其抗病毒新药在动物实验中对新冠病毒有效，总统已特批该药专利向全世界免费开放，允许各国自行仿制生产，' +
      '首批药品下月就能在国内药店买到，每盒只要十元，吃三天就能治好新冠肺炎，家里有老人的赶紧去药店登记预订，名额有限先到先得，' +
      '登记时带上身份证和医保卡，村卫生室也可以代为登记';
    const eager = new RumorMatcher(
      [{ id: 'X1', claim: story, rebuttal: '无此事。', examples: [], urls: [], category: 'epidemic', source: '' }, library[1]],
      { model: { ...defaultRumorModel(), replyAt: 0.05, replyAtBySize: undefined } },
    );
    const trialNews = '【美国制药公司启动抗病毒新药临床试验】当地时间周二，美国一家制药公司宣布，其研发的抗病毒新药已在多家医院启动三期临床试验，' +
      '招募新冠肺炎住院患者一千人，结果预计年底公布。公司表示，动物实验数据显示该药可抑制病毒复制，但在人体中是否有效仍需试验证明。' +
      '专家提醒，目前尚无特效药，公众不要自行购买服用。';
    const n = eager.match(trialNews);
    expect(n).toMatchObject({ id: 'X1', action: 'suggest' });
    expect(n.reasons).toContain('long post repeating little of the rumor');
    // A long post that repeats most of the story is answered.
    expect(eager.match(story.slice(0, 110))).toMatchObject({ id: 'X1', action: 'reply' });
  });

  it('treats a link to a known scam page as strong evidence', () => {
    const r = matcher.match('快来领钱 http://BUTIE-LINGQU.example.cn/form/?utm_source=group');
    expect(r).toMatchObject({ id: 'T04', action: 'reply', score: 1 });
    expect(matcher.match('看这里 http://butie-lingqu.example.cn/other')).toMatchObject({ id: 'T04', action: 'reply' });
  });

  it('learns curator-added entries at run time', () => {
    const m = new RumorMatcher(library);
    expect(m.match('吃生姜片就能预防新冠病毒感染').action).not.toBe('reply');
    m.add({ id: 'X1', claim: '吃生姜能预防新冠病毒', rebuttal: '生姜不能预防新冠。', examples: [], urls: [], category: 'epidemic', source: '' });
    expect(m.match('吃生姜片就能预防新冠病毒感染')).toMatchObject({ id: 'X1', action: 'reply' });
    expect(() => m.add(library[0])).toThrow('already');
  });

  it('detects when a message shares only one passage with a rumor', () => {
    const rumorFeatures = new Set(['板蓝', '蓝根', '预防', '防新', '新冠']);
    expect(sharesClaim(['板蓝根在哪买'], rumorFeatures)).toBe(false);
    expect(sharesClaim(['板蓝根可以预防新冠'], rumorFeatures)).toBe(true);
  });
});

/** Deterministic synthetic entries: random strings over a fixed character pool. */
function syntheticLibrary(count: number): RumorEntry[] {
  const pool = [...'天地人和山水火木金土日月星云风雨雷电花草树林鸟鱼虫兽车船马牛羊猪狗鸡鸭米面油盐酱醋茶酒烟糖药针医院村镇县市省国家学校工厂田地河湖海江桥路门窗灯电话钱卡票'];
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const text = (n: number) => Array.from({ length: n }, () => pool[Math.floor(next() * pool.length)]).join('');
  return Array.from({ length: count }, (_, i) => ({
    id: `S${i}`, claim: text(14), rebuttal: '假的', examples: [text(24)], urls: [], category: 'synthetic', source: '',
  }));
}

describe('RumorMatcher retrieval', () => {
  it('scores only a few candidates out of thousands of entries (no full scan)', () => {
    const entries = syntheticLibrary(3000);
    const m = new RumorMatcher(entries);
    const before = m.stats.rumorsScored;
    const r = m.match(entries[1234].examples[0]);
    expect(r.id).toBe('S1234');
    // Generated entries resemble each other, so the runner-up may be close: reply or suggest.
    expect(r.action).not.toBe('ignore');
    const scored = m.stats.rumorsScored - before;
    expect(scored).toBeGreaterThan(0);
    expect(scored).toBeLessThanOrEqual(30);
  });
});

describe('RumorMatcher country mismatch', () => {
  const entry: RumorEntry = {
    id: 'X2', claim: '美国开始给每户人家免费寄口罩和消毒液', rebuttal: '没有这回事。',
    examples: ['美国政府宣布给每户人家免费寄十只口罩和一瓶消毒液'], urls: [], category: 'epidemic', source: '',
  };
  const m = new RumorMatcher([...library, entry]);

  it('still replies when the message names the rumor\'s country', () => {
    expect(m.match('美国开始给每户人家免费寄口罩和消毒液了')).toMatchObject({ id: 'X2', action: 'reply' });
  });

  it('asks a curator when the message puts another country in its place', () => {
    const r = m.match('英国开始给每户人家免费寄口罩和消毒液了');
    expect(r).toMatchObject({ id: 'X2', action: 'suggest' });
    expect(r.score).toBeGreaterThanOrEqual(REPLY_THRESHOLD);
    expect(r.reasons).toContain('different country: 英国 / 美国');
    expect(m.match('日本政府宣布给每户人家免费寄十只口罩和一瓶消毒液').action).toBe('suggest');
  });

  it('still replies when the message only adds a country or names none', () => {
    expect(m.match('美国开始给每户人家免费寄口罩和消毒液，中国什么时候也寄').action).toBe('reply');
    expect(m.match('开始给每户人家免费寄口罩和消毒液了')).toMatchObject({ id: 'X2', action: 'reply' });
  });

  it('does not apply to rumors that name no country', () => {
    expect(m.match('【转发】喝高度白酒可以杀死新冠病毒，美国人都这么干')).toMatchObject({ id: 'T01', action: 'reply' });
  });
});
