/**
 * Rumor matcher benchmark: `npx tsx bench/rumor-bench.ts [entries] [queries]`.
 *
 * Generates a synthetic library (default 10,000 entries of realistic-length Chinese built from
 * a vocabulary of epidemic/village words), measures load time (parse + index) from YAML and from
 * the same library as JSON (the loader's fast path), memory of the JSON-loaded matcher, per-message latency
 * (p50/p99) over a few thousand queries (variants, chat, long posts), memory, and compares
 * with a naive full-scan bigram-Dice matcher over the same library in the same process.
 */
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { parseRumorLibrary, type RumorEntry } from '../src/domain/rumor/library.ts';
import { RumorMatcher } from '../src/domain/rumor/matcher.ts';
import { normalizeMessage } from '../src/domain/rumor/normalize.ts';

const ENTRIES = Number(process.argv[2] ?? 10_000);
const QUERIES = Number(process.argv[3] ?? 3_000);
const BASELINE_QUERIES = Math.min(QUERIES, 300);

const SUBJECTS = ['喝白酒', '熏醋', '板蓝根', '盐水漱口', '双黄连', '吃大蒜', '蒸桑拿', '吹热风', '5G基站', '猫狗', '快递', '鸡蛋', '疫苗', '口罩', '消毒液', '维生素', '绿茶', '香油', '鞭炮', '抗生素', '紫外线', '大米', '食盐', '健康码', '补贴', '退票', '捐款', '隔离费', '核酸', '飞机'];
const VERBS = ['能预防', '可以杀死', '会传播', '能治好', '会导致', '要赶紧', '必须马上', '一定不能', '可以领取', '要交钱'];
const OBJECTS = ['新冠病毒', '新冠肺炎', '疫情', '感染', '全家人', '老人小孩', '村里人', '银行卡', '身份证', '封城封路'];
const PLACES = ['张家村', '李家湾', '王庄', '河口镇', '石桥乡', '东坝村', '青山县', '柳树屯', '马家堡', '南岭'];
const FILLERS = ['内部消息', '专家说', '紧急通知', '刚刚收到', '亲戚在医院上班说', '据可靠消息', '今天开始', '明天零点起', '大家注意', '千万记住'];
const CHAT = ['收到', '好的谢谢', '明天去镇上赶集有人一起吗', '村口的路在修大家绕一下', '今年麦子长得不错', '孩子感冒了去哪看', '谁家有多余的口罩借两个', '晚上来我家吃饭', '停电了吗我家灯不亮', '补贴的事问村会计'];

let seed = 7;
function rand(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const digits = () => String(Math.floor(rand() * 900) + 100);

function sentence(): string {
  return `${pick(FILLERS)}，${pick(PLACES)}${digits()}号${pick(SUBJECTS)}${pick(VERBS)}${pick(OBJECTS)}`;
}

function syntheticLibrary(n: number): RumorEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `B${i}`,
    claim: `${pick(PLACES)}${digits()}${pick(SUBJECTS)}${pick(VERBS)}${pick(OBJECTS)}`,
    rebuttal: '这是谣言，请以官方通报为准。',
    examples: [sentence(), `${sentence()}，${sentence()}，赶紧转告`],
    urls: i % 10 === 0 ? [`http://scam-${i}.example.cn/lingqu`] : [],
    category: 'synthetic',
    source: '合成数据',
  }));
}

function syntheticQueries(library: readonly RumorEntry[], n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const entry = pick(library);
    switch (i % 4) {
      case 0: return `【转发】${entry.examples[0]}！转给家人`;
      case 1: return pick(CHAT);
      case 2: return `${entry.claim}，是真的吗？`;
      default: return Array.from({ length: 8 }, sentence).join('。'); // a long post (~200 chars)
    }
  });
}

/** Naive baseline: normalize, bigram sets, Dice against every claim and example. */
class FullScanDice {
  private readonly docs: { id: string; bigrams: Set<string> }[] = [];
  constructor(entries: readonly RumorEntry[]) {
    for (const e of entries) for (const t of [e.claim, ...e.examples]) this.docs.push({ id: e.id, bigrams: bigrams(t) });
  }
  match(text: string): { id: string | null; score: number } {
    const q = bigrams(text);
    let best = { id: null as string | null, score: 0 };
    for (const d of this.docs) {
      let shared = 0;
      for (const b of q) if (d.bigrams.has(b)) shared++;
      const score = (2 * shared) / (q.size + d.bigrams.size || 1);
      if (score > best.score) best = { id: d.id, score };
    }
    return best;
  }
}

function bigrams(text: string): Set<string> {
  const chars = [...normalizeMessage(text).key];
  const out = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i] + chars[i + 1]);
  return out;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const ms = (x: number) => `${x.toFixed(3)} ms`;

const library = syntheticLibrary(ENTRIES);
const yamlText = stringify({ rumors: library });
/** The same library written as JSON (valid YAML too): the loader's fast path. */
const jsonText = JSON.stringify({ rumors: library }, null, 1);
const queries = syntheticQueries(library, QUERIES);

/** Parse + index one library text. */
function load(text: string, file: string): { parseMs: number; indexMs: number; matcher: RumorMatcher } {
  const t0 = performance.now();
  const entries = parseRumorLibrary(text, file);
  const t1 = performance.now();
  const m = new RumorMatcher(entries);
  return { parseMs: t1 - t0, indexMs: performance.now() - t1, matcher: m };
}

// Only the timings of the YAML run are kept (its matcher is garbage before memory is measured).
const { parseMs: yamlParseMs, indexMs: yamlIndexMs } = load(yamlText, 'synthetic.yaml');
global.gc?.();
const memBefore = process.memoryUsage();
const fromJson = load(jsonText, 'synthetic.json');
const matcher = fromJson.matcher;
const entries = matcher.entries();
global.gc?.();
const memAfter = process.memoryUsage();
const loadMs = fromJson.parseMs + fromJson.indexMs;

for (const q of queries.slice(0, 200)) matcher.match(q); // warm-up
const statsBefore = matcher.stats;
const times: number[] = [];
const actions = { reply: 0, suggest: 0, ignore: 0 };
for (const q of queries) {
  const s = performance.now();
  const r = matcher.match(q);
  times.push(performance.now() - s);
  actions[r.action]++;
}
const statsAfter = matcher.stats;
times.sort((a, b) => a - b);

// The learned decision against the hand thresholds, message by message in this process (same load).
const hand = new RumorMatcher(entries, { model: null });
for (const q of queries.slice(0, 200)) hand.match(q);
const learnedTimes: number[] = [];
const handTimes: number[] = [];
for (const q of queries) {
  let s = performance.now();
  matcher.match(q);
  learnedTimes.push(performance.now() - s);
  s = performance.now();
  hand.match(q);
  handTimes.push(performance.now() - s);
}
learnedTimes.sort((a, b) => a - b);
handTimes.sort((a, b) => a - b);

const baseline = new FullScanDice(entries);
const baseTimes: number[] = [];
for (const q of queries.slice(0, BASELINE_QUERIES)) {
  const s = performance.now();
  baseline.match(q);
  baseTimes.push(performance.now() - s);
}
baseTimes.sort((a, b) => a - b);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

console.log(`library: ${ENTRIES} entries (${mb(yamlText.length)} YAML, ${mb(jsonText.length)} JSON), queries: ${QUERIES}`);
console.log(`load from YAML: parse ${ms(yamlParseMs)} + index ${ms(yamlIndexMs)} = ${ms(yamlParseMs + yamlIndexMs)}`);
console.log(`load from JSON: parse ${ms(fromJson.parseMs)} + index ${ms(fromJson.indexMs)} = ${ms(loadMs)}`);
console.log(`memory of the matcher (heapUsed delta): ${mb(memAfter.heapUsed - memBefore.heapUsed)}; process after load: heapUsed ${mb(memAfter.heapUsed)}, rss ${mb(memAfter.rss)}${global.gc ? '' : ' (run with --expose-gc for steadier figures)'}`);
console.log(`match: p50 ${ms(percentile(times, 50))}, p99 ${ms(percentile(times, 99))}, max ${ms(times[times.length - 1])}, mean ${ms(mean(times))}`);
console.log(`interleaved: learned decision p50 ${ms(percentile(learnedTimes, 50))} p99 ${ms(percentile(learnedTimes, 99))}; hand thresholds p50 ${ms(percentile(handTimes, 50))} p99 ${ms(percentile(handTimes, 99))}`);
console.log(`actions: ${JSON.stringify(actions)}; rumors scored per message: ${((statsAfter.rumorsScored - statsBefore.rumorsScored) / QUERIES).toFixed(1)} of ${ENTRIES}`);
console.log(`baseline full-scan Dice (${BASELINE_QUERIES} queries): p50 ${ms(percentile(baseTimes, 50))}, p99 ${ms(percentile(baseTimes, 99))}, mean ${ms(mean(baseTimes))}`);
console.log(`speed-up (baseline mean / matcher mean): ${(mean(baseTimes) / mean(times)).toFixed(1)}x`);
console.log(`targets: p99 <= 2 ms ${percentile(times, 99) <= 2 ? 'OK' : 'MISSED'}, load (JSON) < 1 s ${loadMs < 1000 ? 'OK' : 'MISSED'}, load (YAML) < 1 s ${yamlParseMs + yamlIndexMs < 1000 ? 'OK' : 'MISSED'}, heap <= 50 MB ${memAfter.heapUsed - memBefore.heapUsed <= 50 * 2 ** 20 ? 'OK' : 'MISSED'}`);
