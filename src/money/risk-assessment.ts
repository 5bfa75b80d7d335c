// The investor risk assessment (风险承受能力评估): a customer answers the questionnaire in force
// (policies/risk-questionnaire/), the answers are scored into a class C1–C5 — C1 and the lowest
// category whatever the score when an answer says so (适当性办法; AMAC guideline Art. 29) — and the
// assessment is stored with the date it expires (banks reassess after a year). Stored assessments
// are never changed: a new one supersedes the old by being newer.

import type { Questionnaire, Tolerance } from '../../plugins/risk-questionnaire.ts';
import type { RiskAssessmentRow } from '../data/customers.ts';
import { permitted } from '../data/query.ts';
import type { Sql } from '../db/database.ts';
import { badInput, clientError } from '../errors.ts';
import type { Permit } from '../policy/gate.ts';

/** The outcome of scoring a questionnaire. */
export interface Score {
  score: number;
  tolerance: Tolerance;
  /** 风险承受能力最低类别: may buy nothing above R1. Implies C1. */
  lowestCategory: boolean;
}

/**
 * Scores answers against the questionnaire: one answer per item, in order, each the score of one of
 * the item's options. The total picks the band; a lowest-category answer forces C1.
 * Throws BAD_USER_INPUT naming `input.answers` (wrong count) or `input.answers[i]` (not an option).
 */
export function score(answers: readonly number[], questionnaire: Questionnaire): Score {
  const { items, bands, lowestCategory } = questionnaire;
  if (answers.length !== items.length) {
    throw badInput('input.answers', `must hold ${items.length} answers, one score per questionnaire item (got ${answers.length})`);
  }
  answers.forEach((answer, i) => {
    const item = items[i]!;
    if (!item.options.some((option) => option.score === answer)) {
      throw badInput(`input.answers[${i}]`, `must be one of the scores of item "${item.id}": ${item.options.map((o) => o.score).join(', ')}`);
    }
  });
  const total = answers.reduce((sum, answer) => sum + answer, 0);
  const lowest = lowestCategory.some((trigger) => {
    const index = items.findIndex((item) => item.id === trigger.item);
    return trigger.scores.includes(answers[index]!);
  });
  if (lowest) return { score: total, tolerance: 'C1', lowestCategory: true };
  // the policy file's schema makes the bands cover 0 … the highest possible score
  const band = bands.find((b) => b.minScore <= total && total <= b.maxScore)!;
  return { score: total, tolerance: band.tolerance, lowestCategory: false };
}

/** The instant an assessment made at `assessedAt` expires under the questionnaire's validity. */
export function expiresAt(assessedAt: Date, questionnaire: Questionnaire): Date {
  return new Date(assessedAt.getTime() + questionnaire.validityDays * 86_400_000);
}

/** What `submitRiskAssessment` needs: whose answers, to which questionnaire, when. */
export interface RiskAssessmentInput {
  /** The customer the caller is; undefined for staff tokens, who have no questionnaire to answer. */
  customerKey: string | undefined;
  answers: readonly number[];
  questionnaire: Questionnaire;
  now: Date;
}

/**
 * Scores and stores a customer's answers and returns the new risk profile. The customer must be one
 * the permit covers (Customer rows, alias `c`); a caller who is no customer (customerKey undefined)
 * gets NOT_FOUND: there is no customer to assess. Invalid answers are BAD_USER_INPUT (see `score`).
 */
export async function submitRiskAssessment(sql: Sql, permit: Permit, input: RiskAssessmentInput): Promise<RiskAssessmentRow> {
  const result = score(input.answers, input.questionnaire);
  if (input.customerKey === undefined) throw clientError('NOT_FOUND', 'No customer to assess: the caller is not a customer');
  const [row] = await sql<RiskAssessmentRow[]>`
    insert into risk_assessments (customer_id, tolerance, lowest_category, answers, score, assessed_at, expires_at)
    select c.id, ${result.tolerance}, ${result.lowestCategory}, ${input.answers as number[]}::integer[], ${result.score},
           ${input.now}, ${expiresAt(input.now, input.questionnaire)}
      from customers c
     where c.id = ${input.customerKey} and ${permitted(sql, permit)}
    returning id, customer_id, tolerance, lowest_category, score, assessed_at, expires_at`;
  if (!row) throw clientError('NOT_FOUND', 'Customer not found');
  return row;
}
