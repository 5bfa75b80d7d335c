// The risk questionnaire data module (风险承受能力评估问卷): the items a customer answers, the score
// bands of the investor classes C1–C5, the answers that put a customer in the lowest risk-tolerance
// category, and how long an assessment stays valid. src/money/risk-assessment.ts scores against it.

import { z } from 'zod';
import type { PolicyModule } from '../src/policy/types.ts';
import { TOLERANCES } from '../src/policy/vocabulary.ts';

const score = z.number().int().min(0).max(1000);

const item = z
  .strictObject({
    /** Stable name of the item, e.g. `lossTolerance`; triggers refer to it. */
    id: z.string().regex(/^[a-z][a-zA-Z0-9]*$/, 'must be a camelCase name'),
    question: z.string().min(1),
    /** The answers offered; an answer is submitted as its score, so scores differ within an item. */
    options: z
      .array(z.strictObject({ label: z.string().min(1), score }))
      .min(2)
      .superRefine((options, ctx) => {
        const seen = new Set<number>();
        options.forEach((option, i) => {
          if (seen.has(option.score)) ctx.addIssue({ code: 'custom', path: [i, 'score'], message: `score ${option.score} is offered twice` });
          seen.add(option.score);
        });
      }),
  });

const band = z.strictObject({
  tolerance: z.enum(TOLERANCES),
  label: z.string().min(1),
  minScore: score,
  maxScore: score,
});

const trigger = z.strictObject({
  /** The item whose answer triggers the lowest category. */
  item: z.string(),
  /** The scores of that item that do. */
  scores: z.array(score).min(1),
  reason: z.string().min(1),
  regulation: z.string().min(1),
});

const body = z
  .strictObject({
    /** Days an assessment stays valid; then the customer must be assessed again. */
    validityDays: z.number().int().min(1).max(3660),
    items: z.array(item).min(1),
    /** C1…C5 in order, contiguous, from 0 to the highest possible score. */
    bands: z.array(band).length(TOLERANCES.length),
    /** Answers that make the customer C1 and of the lowest risk-tolerance category, whatever the score. */
    lowestCategory: z.array(trigger),
  })
  .superRefine((q, ctx) => {
    const ids = new Set<string>();
    q.items.forEach((it, i) => {
      if (ids.has(it.id)) ctx.addIssue({ code: 'custom', path: ['items', i, 'id'], message: `item ${it.id} appears twice` });
      ids.add(it.id);
    });
    const highest = q.items.reduce((sum, it) => sum + Math.max(...it.options.map((o) => o.score)), 0);
    let next = 0;
    q.bands.forEach((b, i) => {
      if (b.tolerance !== TOLERANCES[i]) ctx.addIssue({ code: 'custom', path: ['bands', i, 'tolerance'], message: `band ${i + 1} must be ${TOLERANCES[i]}` });
      if (b.minScore !== next) ctx.addIssue({ code: 'custom', path: ['bands', i, 'minScore'], message: `must be ${next}: bands are contiguous from 0` });
      if (b.maxScore < b.minScore) ctx.addIssue({ code: 'custom', path: ['bands', i, 'maxScore'], message: 'must not be below minScore' });
      next = b.maxScore + 1;
    });
    if (next - 1 !== highest) {
      ctx.addIssue({ code: 'custom', path: ['bands', TOLERANCES.length - 1, 'maxScore'], message: `must be ${highest}, the highest possible score` });
    }
    q.lowestCategory.forEach((t, i) => {
      const target = q.items.find((it) => it.id === t.item);
      if (!target) {
        ctx.addIssue({ code: 'custom', path: ['lowestCategory', i, 'item'], message: `no item ${t.item}` });
        return;
      }
      t.scores.forEach((s, j) => {
        if (!target.options.some((o) => o.score === s)) {
          ctx.addIssue({ code: 'custom', path: ['lowestCategory', i, 'scores', j], message: `item ${t.item} offers no score ${s}` });
        }
      });
    });
  });

/** The `risk-questionnaire` policy module (engine `data`): validates the file; src/money/risk-assessment.ts scores with it. */
export function riskQuestionnairePolicy(): PolicyModule<z.infer<typeof body>> {
  return {
    name: 'risk-questionnaire',
    engine: 'data',
    description: 'The investor risk-tolerance questionnaire: items, C1–C5 score bands, lowest-category answers, validity',
    body,
  };
}
