// Risk assessments (风险测评): most customers answered the risk questionnaire in force (the
// `risk-questionnaire` policy), at sign-up or, once that had expired, again early this year. The
// seed picks answers that land in a tolerance band; src/money/risk-assessment.ts scores them and
// dates their expiry, exactly as `submitRiskAssessment` does.

import { expiresAt, score, type Questionnaire } from '../../money/risk-assessment.ts';
import type { Tolerance } from '../../policy/vocabulary.ts';
import { weightedTable, type Random } from '../random.ts';
import type { CustomerBatch } from './rows.ts';
import { DAY, iso, MINUTE } from './time.ts';

/** A customer's risk assessment: what they are, and when it was taken and expires (ms). */
export interface RiskProfile {
  tolerance: Tolerance;
  lowestCategory: boolean;
  assessedAt: number;
  expiresAt: number;
}

/** The tolerance band customers' answers land in, relatively. */
const TOLERANCES_ORDINARY = weightedTable<Tolerance>([['C1', 8], ['C2', 30], ['C3', 37], ['C4', 17], ['C5', 8]]);
const TOLERANCES_PROFESSIONAL = weightedTable<Tolerance>([['C3', 15], ['C4', 45], ['C5', 40]]);

/** The customer's risk assessment, for 85 % of them; null for those who never took it. */
export function assess(
  customer: { id: number; professional: boolean; created: number },
  questionnaire: Questionnaire,
  rng: Random,
  now: number,
  out: Pick<CustomerBatch, 'riskAssessments'>,
): RiskProfile | null {
  if (!rng.chance(0.85)) return null;
  const band = bandOf(rng.weighted(customer.professional ? TOLERANCES_PROFESSIONAL : TOLERANCES_ORDINARY), questionnaire);
  // some of the most cautious say they cannot bear any loss
  const lowest = band.tolerance === 'C1' && rng.chance(0.3);
  const answers = answersScoring(rng.int(band.minScore, band.maxScore), lowest, questionnaire, rng);
  const result = score(answers, questionnaire);

  // taken at sign-up; most of those whose answers have since expired took it again early this year
  const yearAgo = now - 365 * DAY;
  const assessed = Math.floor(
    customer.created < yearAgo && rng.chance(0.65)
      ? rng.between(yearAgo, yearAgo + 60 * DAY)
      : customer.created + rng.between(5 * MINUTE, 2 * DAY),
  );
  const expires = expiresAt(new Date(assessed), questionnaire).getTime();
  out.riskAssessments.push({
    customer_id: customer.id,
    tolerance: result.tolerance,
    lowest_category: result.lowestCategory,
    answers,
    score: result.score,
    assessed_at: iso(assessed),
    expires_at: iso(expires),
  });
  return { tolerance: result.tolerance, lowestCategory: result.lowestCategory, assessedAt: assessed, expiresAt: expires };
}

function bandOf(tolerance: Tolerance, questionnaire: Questionnaire): Questionnaire['bands'][number] {
  const band = questionnaire.bands.find((b) => b.tolerance === tolerance);
  if (!band) throw new Error(`the risk questionnaire in force has no band for ${tolerance}`);
  return band;
}

/**
 * Answers, one option score per item, adding up to `total` as nearly as the options allow. A
 * customer of the lowest category gives a lowest-category answer; nobody else gives one (they
 * would be scored into that category, whatever their total).
 */
function answersScoring(total: number, lowest: boolean, questionnaire: Questionnaire, rng: Random): number[] {
  const allowed = optionsOf(questionnaire)[lowest ? 'lowest' : 'other'];
  const answers = allowed.map((scores) => scores[0]!);
  let left = total - answers.reduce((sum, answer) => sum + answer, 0);
  // raise random items one option at a time while a step still fits
  const raisable = allowed.map((_, i) => i).filter((i) => allowed[i]!.length > 1);
  while (left > 0 && raisable.length > 0) {
    const k = rng.int(0, raisable.length - 1);
    const i = raisable[k]!;
    const scores = allowed[i]!;
    const next = scores[scores.indexOf(answers[i]!) + 1];
    if (next === undefined || next - answers[i]! > left) {
      raisable.splice(k, 1);
      continue;
    }
    left -= next - answers[i]!;
    answers[i] = next;
  }
  return answers;
}

/** The option scores each item may take, low to high, for the lowest category and for the others; worked out once per questionnaire. */
function optionsOf(questionnaire: Questionnaire): { lowest: number[][]; other: number[][] } {
  let options = OPTIONS.get(questionnaire);
  if (!options) {
    const { items, lowestCategory } = questionnaire;
    const trigger = lowestCategory[0];
    const of = (lowest: boolean) =>
      items.map((item) => {
        if (lowest && trigger?.item === item.id) return [Math.min(...trigger.scores)];
        const excluded = new Set(lowestCategory.filter((t) => t.item === item.id).flatMap((t) => t.scores));
        const scores = item.options.map((o) => o.score).sort((a, b) => a - b);
        const kept = scores.filter((s) => !excluded.has(s));
        return kept.length > 0 ? kept : scores;
      });
    options = { lowest: of(true), other: of(false) };
    OPTIONS.set(questionnaire, options);
  }
  return options;
}

const OPTIONS = new WeakMap<Questionnaire, { lowest: number[][]; other: number[][] }>();
