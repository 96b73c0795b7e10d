import { describe, it, expect } from 'vitest';
import { PassThrough, Readable } from 'node:stream';
import { formatRumorList, matchLine, rumorCommand } from '../../../src/features/rumors/cli.ts';
import { RumorMatcher } from '../../../src/domain/rumor/matcher.ts';
import type { RumorEntry } from '../../../src/domain/rumor/library.ts';

function io(input = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { streams: { stdin: Readable.from([input]), stdout, stderr }, out: () => out, err: () => err };
}

const entry: RumorEntry = { id: 'Z1', claim: '说法', rebuttal: '回应', examples: [], urls: [], category: 'epidemic', source: '' };

describe('rumor CLI', () => {
  it('match: one JSON line per input, bad lines become ignore with an error', async () => {
    const t = io('{"text": "喝高度白酒能杀死新冠病毒"}\nnot json\n{"x": 1}\n{"text": "收到"}\n');
    const code = await rumorCommand(['match', '--library', 'test/fixtures/rumors-small.yaml'], t.streams);
    expect(code).toBe(0);
    const lines = t.out().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ id: 'T01', action: 'reply' });
    expect(lines[1]).toMatchObject({ id: null, action: 'ignore', score: 0 });
    expect(lines[1].error).toBeTruthy();
    expect(lines[2].error).toBeTruthy();
    expect(lines[3]).toEqual({ id: null, score: 0, action: 'ignore' });
  });

  it('usage errors exit with 2', async () => {
    // `match` alone is no longer a usage error (issue 26 item 5): it matches against the config's library.
    for (const argv of [['frobnicate'], [], ['match', '--library'], ['eval', '--library', 'x.yaml'], ['list', '--bogus'], ['decide', 'S1'], ['undo']]) {
      const t = io();
      expect(await rumorCommand(argv, t.streams), argv.join(' ')).toBe(2);
      expect(t.err()).toContain('usage');
    }
  });

  it('eval exits with 1 after lines it could not read, the figures still printed', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const file = `${fs.mkdtempSync(`${os.tmpdir()}/rumor-eval-`)}/q.jsonl`;
    fs.writeFileSync(file, '{"text": "喝高度白酒能杀死新冠病毒", "expect": "T01"}\nnot json\n');
    const t = io();
    expect(await rumorCommand(['eval', '--library', 'test/fixtures/rumors-small.yaml', '--queries', file], t.streams)).toBe(1);
    expect(t.out()).toContain('reply recall');
    expect(t.err()).toMatch(/1 line\(s\) of .* not read; the figures leave them out/);
  });

  it('an invalid library exits with 1 and names the file', async () => {
    const t = io('');
    expect(await rumorCommand(['match', '--library', 'no/such/file.yaml'], t.streams)).toBe(1);
    expect(t.err()).toContain('no/such/file.yaml');
  });

  it('matchLine never throws', () => {
    const m = new RumorMatcher([]);
    expect(matchLine(m, '{"text": "随便说点什么吧"}')).toEqual({ id: null, score: 0, action: 'ignore' });
    expect(matchLine(m, '[').error).toBe('invalid JSON');
  });

  it('formatRumorList lists entries and extra (curator) entries', () => {
    const text = formatRumorList([entry], [{ ...entry, id: 'C1', claim: '新说法' }]);
    expect(text).toContain('Z1');
    expect(text).toContain('added by curators (1)');
    expect(text).toContain('C1');
    expect(text).toContain('2 rumors');
  });
});

describe('rumor CLI --explain', () => {
  it('prints the probability, the inputs and the reasons behind each action', async () => {
    const t = io('{"text": "【转发】喝高度白酒可以杀死新冠病毒，每天一杯！转给家人"}\n{"text": "辟谣：喝高度白酒不能杀死新冠病毒"}\n');
    expect(await rumorCommand(['match', '--library', 'test/fixtures/rumors-small.yaml', '--explain'], t.streams)).toBe(0);
    const [a, b] = t.out().trim().split('\n').map((l) => JSON.parse(l));
    expect(a.explain.probability).toBeGreaterThan(0);
    expect(a.explain.inputs[0]).toHaveProperty('contribution');
    expect(a.explain.evidence).toHaveProperty('longestRun');
    // The rule flags stay true/false in the explanation (not rounded to numbers).
    expect(a.explain.evidence.specific).toBe(true);
    expect(typeof a.explain.evidence.own).toBe('boolean');
    expect(b.explain.reasons.join(' ')).toMatch(/p=|refutation/);
  });

  it('without --explain the output keeps its contract', async () => {
    const t = io('{"text": "喝高度白酒能杀死新冠病毒"}\n');
    await rumorCommand(['match', '--library', 'test/fixtures/rumors-small.yaml'], t.streams);
    expect(Object.keys(JSON.parse(t.out()))).toEqual(['id', 'score', 'action']);
  });
});

describe('rumor CLI for curators (issue 26 item 5)', () => {
  it('match answers plain text in Chinese: the decision, the rumor and the rebuttal that would be sent', async () => {
    const t = io();
    expect(await rumorCommand(['match', '--library', 'config/rumors.yaml', '听说喝白酒能杀死新冠病毒，是真的吗'], t.streams)).toBe(0);
    expect(t.out()).toContain('判断：自动辟谣');
    expect(t.out()).toMatch(/谣言：R01 /);
    // The group reply as config/templates.yaml words it.
    expect(t.out()).toContain('【辟谣】关于“听说喝白酒能杀死新冠病毒，是…”');
    expect(t.out()).toContain('喝酒杀不死身体里的病毒');

    const lines = io('今晚整两口白酒，谁来\n家里的高度白酒拿来擦手能消毒吗\n');
    expect(await rumorCommand(['match', '--library', 'config/rumors.yaml', '--explain'], lines.streams)).toBe(0);
    const [chat, doubtful] = lines.out().split('消息：').slice(1);
    expect(chat).toContain('判断：不处理');
    expect(doubtful).toContain('判断：转审核员核实');
    expect(doubtful).toContain('审核员确认（是）后将发送');
    expect(doubtful).toMatch(/依据：p=0\.\d+/);

    const json = io();
    expect(await rumorCommand(['match', '--library', 'config/rumors.yaml', '--json', '喝高度白酒能杀死新冠病毒'], json.streams)).toBe(0);
    expect(JSON.parse(json.out())).toMatchObject({ id: 'R01', action: 'reply' });
  });
});
