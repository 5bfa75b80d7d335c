import { describe, expect, it } from 'vitest';
import { riskQuestionnairePolicy } from '../../plugins/risk-questionnaire.ts';
import { expiresAt, score, type Questionnaire } from '../../src/money/risk-assessment.ts';
import { extensionsOf } from '../support/errors.ts';

const option = (score: number) => ({ label: `option ${score}`, score });
const item = (id: string) => ({ id, question: `${id}?`, options: [0, 1, 2, 3, 4].map(option) });

/** Ten items of 0–4 points, bands of eight, "cannot bear any loss" as the lowest-category answer. */
const questionnaire: Questionnaire = riskQuestionnairePolicy().body!.parse({
  validityDays: 365,
  items: ['age', 'annualIncome', 'financialAssets', 'debt', 'experience', 'knowledge', 'productsHeld', 'objective', 'horizon', 'lossTolerance'].map(item),
  bands: [
    { tolerance: 'C1', label: '保守型', minScore: 0, maxScore: 8 },
    { tolerance: 'C2', label: '稳健型', minScore: 9, maxScore: 16 },
    { tolerance: 'C3', label: '平衡型', minScore: 17, maxScore: 24 },
    { tolerance: 'C4', label: '成长型', minScore: 25, maxScore: 32 },
    { tolerance: 'C5', label: '进取型', minScore: 33, maxScore: 40 },
  ],
  lowestCategory: [{ item: 'lossTolerance', scores: [0], reason: '不愿承受任何损失', regulation: 'AMAC Art.29' }],
});

const answers = (total: number, last = 4) => {
  const out = [0, 0, 0, 0, 0, 0, 0, 0, 0, last];
  let left = total - last;
  for (let i = 0; left > 0; i++) {
    out[i] = Math.min(4, left);
    left -= out[i]!;
  }
  return out;
};

describe('scoring the risk questionnaire', () => {
  it.each([
    [4, 'C1'],
    [8, 'C1'],
    [9, 'C2'],
    [16, 'C2'],
    [17, 'C3'],
    [24, 'C3'],
    [25, 'C4'],
    [32, 'C4'],
    [33, 'C5'],
    [40, 'C5'],
  ])('places a total of %i in %s', (total, tolerance) => {
    expect(score(answers(total), questionnaire)).toEqual({ score: total, tolerance, lowestCategory: false });
  });

  it('places a customer who cannot bear any loss in C1 and the lowest category, whatever the total', () => {
    expect(score([4, 4, 4, 4, 4, 4, 4, 4, 4, 0], questionnaire)).toEqual({ score: 36, tolerance: 'C1', lowestCategory: true });
  });

  it('places a customer in the lowest category when any one of its triggers fires', () => {
    const twoTriggers = riskQuestionnairePolicy().body!.parse({
      ...questionnaire,
      lowestCategory: [...questionnaire.lowestCategory, { item: 'objective', scores: [0], reason: '只求保本', regulation: 'AMAC Art.29' }],
    });
    // cannot bear a loss (item 10), though the objective (item 8) is not preservation
    expect(score([4, 4, 4, 4, 4, 4, 4, 4, 4, 0], twoTriggers)).toMatchObject({ tolerance: 'C1', lowestCategory: true });
    // the objective is preservation, though a loss could be borne
    expect(score([4, 4, 4, 4, 4, 4, 4, 0, 4, 4], twoTriggers)).toMatchObject({ tolerance: 'C1', lowestCategory: true });
    expect(score([4, 4, 4, 4, 4, 4, 4, 1, 4, 4], twoTriggers)).toMatchObject({ tolerance: 'C5', lowestCategory: false });
  });

  it('names input.answers for the wrong number of answers', () => {
    expect(extensionsOf(() => score([1, 2, 3], questionnaire))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.answers' });
    expect(extensionsOf(() => score([], questionnaire))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.answers' });
    expect(extensionsOf(() => score(Array(11).fill(1), questionnaire))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.answers' });
  });

  it('names input.answers[i] for a score item i does not offer', () => {
    expect(extensionsOf(() => score([1, 1, 1, 5, 1, 1, 1, 1, 1, 1], questionnaire))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.answers[3]' });
    expect(extensionsOf(() => score([-1, 1, 1, 1, 1, 1, 1, 1, 1, 1], questionnaire))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.answers[0]' });
  });

  it('makes an assessment expire validityDays after it was made', () => {
    expect(expiresAt(new Date('2026-01-01T00:00:00Z'), questionnaire)).toEqual(new Date('2027-01-01T00:00:00Z'));
    expect(expiresAt(new Date('2026-01-01T00:00:00Z'), { ...questionnaire, validityDays: 730 })).toEqual(new Date('2028-01-01T00:00:00Z'));
  });
});

describe('the risk-questionnaire policy file schema', () => {
  const body = riskQuestionnairePolicy().body!;
  const issues = (value: unknown) => {
    const result = body.safeParse(value);
    return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
  };

  it('accepts the questionnaire above', () => {
    expect(issues(questionnaire)).toEqual([]);
  });

  it('refuses bands with a gap, out of order, or short of the highest score', () => {
    const bands = questionnaire.bands.map((b) => ({ ...b }));
    bands[1]!.minScore = 10;
    expect(issues({ ...questionnaire, bands })).toContain('bands.1.minScore');
    const swapped = [questionnaire.bands[1], questionnaire.bands[0], ...questionnaire.bands.slice(2)];
    expect(issues({ ...questionnaire, bands: swapped })).toContain('bands.0.tolerance');
    const short = questionnaire.bands.map((b, i) => (i === 4 ? { ...b, maxScore: 39 } : b));
    expect(issues({ ...questionnaire, bands: short })).toContain('bands.4.maxScore');
  });

  it('refuses an item offering one score twice, and a trigger naming a missing item or score', () => {
    const items = questionnaire.items.map((it, i) => (i === 0 ? { ...it, options: [option(1), option(1)] } : it));
    expect(issues({ ...questionnaire, items }).some((p) => p.startsWith('items.0.options'))).toBe(true);
    expect(issues({ ...questionnaire, lowestCategory: [{ ...questionnaire.lowestCategory[0]!, item: 'nope' }] })).toContain('lowestCategory.0.item');
    expect(issues({ ...questionnaire, lowestCategory: [{ ...questionnaire.lowestCategory[0]!, scores: [9] }] })).toContain('lowestCategory.0.scores.0');
  });
});
