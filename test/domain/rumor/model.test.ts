import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseRumorLibrary } from '../../../src/domain/rumor/library.ts';
import { RumorMatcher } from '../../../src/domain/rumor/matcher.ts';
import {
  DECISION_FEATURES, contributions, defaultRumorModel, featureVector, parseRumorModel, probability, type DecisionEvidence, type RumorModel,
} from '../../../src/domain/rumor/model.ts';
import { fitLogistic } from '../../../scripts/train-rumor-model.ts';

const library = parseRumorLibrary(readFileSync('test/fixtures/rumors-small.yaml', 'utf8'), 'rumors-small.yaml');

const evidence: DecisionEvidence = { score: 0.6, queryCoverage: 0.7, wordingCoverage: 0.5, shared: 6, longestRun: 8, runs: 3, runnerUp: 0.2, length: 30, specific: true, own: false };

describe('decision model', () => {
  it('scales every input to about [0, 1]', () => {
    const x = featureVector(evidence);
    expect(x).toHaveLength(DECISION_FEATURES.length);
    for (const v of x) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });

  it('computes a logistic probability and ranks contributions by size', () => {
    const model: RumorModel = { features: [...DECISION_FEATURES], weights: DECISION_FEATURES.map((_, i) => (i === 0 ? 4 : 0)), bias: -2, replyAt: 0.9, suggestAt: 0.2, suggestMinScore: 0.2, suggestClaimAt: 0.5, suggestClaimMinScore: 0.2 };
    expect(probability(model, [0.5, 0, 0, 0, 0, 0, 0, 0])).toBeCloseTo(0.5);
    expect(contributions(model, featureVector(evidence))[0]).toMatchObject({ feature: 'score', contribution: 4 * 0.6 });
  });

  it('adds hinge terms past a third and two thirds of each input, and explains them as one input', () => {
    const x = featureVector(evidence);
    const at = (name: string) => x[DECISION_FEATURES.indexOf(name)];
    expect(at('score>0.33')).toBeCloseTo(0.6 - 0.33);
    expect(at('score>0.66')).toBe(0);
    expect(at('queryCoverage>0.66')).toBeCloseTo(0.7 - 0.66);
    const weights = DECISION_FEATURES.map((f) => (f === 'score' ? 1 : f === 'score>0.33' ? 2 : 0));
    const model: RumorModel = { features: [...DECISION_FEATURES], weights, bias: 0, replyAt: 0.9, suggestAt: 0.2, suggestMinScore: 0.2, suggestClaimAt: 0.5, suggestClaimMinScore: 0.2 };
    const c = contributions(model, x);
    expect(c).toHaveLength(8);
    expect(c[0]).toMatchObject({ feature: 'score', value: 0.6 });
    expect(c[0].contribution).toBeCloseTo(0.6 + 2 * (0.6 - 0.33));
  });

  it('rejects a model file whose features differ from the matcher\'s', () => {
    expect(() => parseRumorModel({ features: ['score'], weights: [1], bias: 0, replyAt: 1, suggestAt: 0, suggestMinScore: 0, suggestClaimAt: 0, suggestClaimMinScore: 0 }, 'm.json')).toThrow('m.json: model features');
    expect(() => parseRumorModel({ weights: [] }, 'm.json')).toThrow('not a rumor model');
  });

  it('loads the project model with cut-offs in order', () => {
    const m = defaultRumorModel();
    expect(m.suggestAt).toBeLessThanOrEqual(m.replyAt);
    expect(m.trainedOn).toContain('config/rumors.yaml');
  });

  it('fitLogistic separates a separable toy set', () => {
    const samples = Array.from({ length: 40 }, (_, i) => ({ x: [i % 2, 0.5], y: (i % 2) as 0 | 1, score: 0, kind: 't' }));
    const { weights, bias } = fitLogistic(samples, 1e-4, 500, 1);
    expect(weights[0] + bias).toBeGreaterThan(0);
    expect(bias + 0.5 * weights[1]).toBeLessThan(0);
  });
});

describe('matcher with the learned decision', () => {
  const m = new RumorMatcher(library);

  it('reports the evidence and probability behind a decision', () => {
    const r = m.match('【转发】喝高度白酒可以杀死新冠病毒，每天一杯！转给家人');
    expect(r.id).toBe('T01');
    expect(r.probability).toBeGreaterThan(0);
    expect(r.evidence?.runs).toBeGreaterThanOrEqual(1);
    expect(r.evidence?.length).toBeGreaterThan(10);
  });

  it('never replies when the message shares only one short passage with the rumor', () => {
    const r = m.match('村里5G信号不太好');
    expect(r.action).not.toBe('reply');
  });

  it('a high probability is still capped by the rules (rebuttal, country)', () => {
    const always: RumorModel = { ...defaultRumorModel(), replyAt: 0, suggestAt: 0, suggestMinScore: 0, suggestClaimAt: 0, suggestClaimMinScore: 0 };
    const strict = new RumorMatcher(library, { model: always });
    const r = strict.match('辟谣：喝高度白酒不能杀死新冠病毒');
    expect(r.action).toBe('suggest');
    expect(r.reasons).toContain('refutation cue');
  });

  it('model: null keeps the hand thresholds', () => {
    const hand = new RumorMatcher(library, { model: null });
    const r = hand.match('【转发】喝高度白酒可以杀死新冠病毒，每天一杯！转给家人');
    expect(r.probability).toBeUndefined();
    expect(r.action).toBe('reply');
  });
});
