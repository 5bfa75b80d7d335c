// Risk assessments (风险测评): most customers answered the ten-question risk questionnaire, at
// sign-up or, once that had expired, again early this year. Each answer scores 0–4 points; the
// score falls in the band of the tolerance category; the lowest category is a subset of C1.

import { weightedTable, type Random } from '../random.ts';
import type { RiskProfile } from './purchases.ts';
import type { CustomerBatch, Tolerance } from './rows.ts';
import { DAY, iso, MINUTE } from './time.ts';

const TOLERANCES_ORDINARY = weightedTable<Tolerance>([['C1', 8], ['C2', 30], ['C3', 37], ['C4', 17], ['C5', 8]]);
const TOLERANCES_PROFESSIONAL = weightedTable<Tolerance>([['C3', 15], ['C4', 45], ['C5', 40]]);
/** Questionnaire scores (10 answers of 0–4 points) for each tolerance category. */
const SCORE_BANDS: Readonly<Record<Tolerance, readonly [number, number]>> = {
  C1: [0, 8],
  C2: [9, 16],
  C3: [17, 24],
  C4: [25, 32],
  C5: [33, 40],
};

/** The customer's risk assessment, for 85 % of them; null for those who never took it. */
export function assess(
  customer: { id: number; professional: boolean; created: number },
  rng: Random,
  now: number,
  out: Pick<CustomerBatch, 'riskAssessments'>,
): RiskProfile | null {
  if (!rng.chance(0.85)) return null;
  const tolerance = rng.weighted(customer.professional ? TOLERANCES_PROFESSIONAL : TOLERANCES_ORDINARY);
  const lowest = tolerance === 'C1' && rng.chance(0.3);
  const [low, high] = SCORE_BANDS[tolerance];
  const score = rng.int(low, high);
  const answers: number[] = new Array<number>(10).fill(0);
  for (let left = score; left > 0; ) {
    const question = rng.int(0, 9);
    if (answers[question]! < 4) {
      answers[question]! += 1;
      left -= 1;
    }
  }
  // taken at sign-up; most of those whose answers have since expired took it again early this year
  const yearAgo = now - 365 * DAY;
  const assessed = Math.floor(
    customer.created < yearAgo && rng.chance(0.65)
      ? rng.between(yearAgo, yearAgo + 60 * DAY)
      : customer.created + rng.between(5 * MINUTE, 2 * DAY),
  );
  const expires = assessed + 365 * DAY;
  out.riskAssessments.push({
    customer_id: customer.id,
    tolerance,
    lowest_category: lowest,
    answers,
    score,
    assessed_at: iso(assessed),
    expires_at: iso(expires),
  });
  return { tolerance, lowestCategory: lowest, assessedAt: assessed, expiresAt: expires };
}
