// The investor risk assessment (风险承受能力评估): a customer answers the questionnaire in force
// (policies/risk-questionnaire/), the answers are scored into a class C1–C5 — C1 and the lowest
// category whatever the score when an answer says so (适当性办法; AMAC guideline Art. 29) — and the
// assessment is stored with the date it expires (banks reassess after a year) and the questionnaire
// version that scored it. Stored assessments are never changed: a new one supersedes the old by
// being newer.

import type { RiskAssessmentRow } from '../data/customers.ts';
import type { Sql } from '../db/database.ts';
import { badInput, clientError } from '../errors.ts';
import { lockCustomer } from './customers.ts';
import type { Permit } from '../policy/permit.ts';
import type { Tolerance } from '../policy/vocabulary.ts';

/** The questionnaire as the `risk-questionnaire` policy file states it (plugins/risk-questionnaire.ts validates it). */
export interface Questionnaire {
  /** Days an assessment stays valid. */
  validityDays: number;
  items: readonly { id: string; question: string; options: readonly { label: string; score: number }[] }[];
  /** C1…C5 in order, contiguous from 0 to the highest possible score. */
  bands: readonly { tolerance: Tolerance; label: string; minScore: number; maxScore: number }[];
  /** Answers that make the customer C1 and of the lowest category, whatever the score. */
  lowestCategory: readonly { item: string; scores: readonly number[]; reason: string; regulation: string }[];
}

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
    throw badInput(
      'input.answers',
      // Stryker disable next-line StringLiteral: message text, tests assert codes
      `must hold ${items.length} answers, one score per questionnaire item (got ${answers.length})`,
    );
  }
  answers.forEach((answer, i) => {
    const item = items[i]!;
    if (!item.options.some((option) => option.score === answer)) {
      throw badInput(
        `input.answers[${i}]`,
        // Stryker disable next-line StringLiteral,ArrowFunction: message text, tests assert codes
        `must be one of the scores of item "${item.id}": ${item.options.map((o) => o.score).join(', ')}`,
      );
    }
  });
  const total = answers.reduce((sum, answer) => sum + answer, 0);
  const lowest = lowestCategory.some((trigger) => {
    const index = items.findIndex((item) => item.id === trigger.item);
    return trigger.scores.includes(answers[index]!);
  });
  if (lowest) return { score: total, tolerance: 'C1', lowestCategory: true };
  // the policy file's schema orders the bands C1…C5, contiguous from 0 to the highest possible
  // score: the first that reaches the total is its band
  const band = bands.find((b) => total <= b.maxScore)!;
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
  /** The risk-questionnaire policy version the questionnaire is (`module@version` and the file's sha256), recorded with the assessment. */
  questionnaireVersion: { id: string; sha256: string };
  now: Date;
}

/**
 * Scores and stores a customer's answers and returns the new risk profile, in one database
 * transaction: the customer (one the permit covers) is locked, the gate decides with the facts
 * read under that lock, and the decision stream's observers add their rows before it commits. A
 * caller who is no customer (customerKey undefined) gets NOT_FOUND: there is no customer to assess.
 * Invalid answers are BAD_USER_INPUT (see `score`).
 */
export async function submitRiskAssessment(sql: Sql, permit: Permit, input: RiskAssessmentInput): Promise<RiskAssessmentRow> {
  const result = score(input.answers, input.questionnaire);
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  if (input.customerKey === undefined) throw clientError('NOT_FOUND', 'No customer to assess: the caller is not a customer');
  const customerKey = input.customerKey;
  return sql.begin(async (tx) => {
    const customer = await lockCustomer(tx as unknown as Sql, permit, customerKey);
    const facts = await permit.records!.facts(tx as unknown as Sql, { customer: customerKey });
    permit.records!.decide({ type: 'Customer', id: customer.id, attributes: { ...customer }, facts, args: { input: { answers: [...input.answers] } } });
    const [row] = await tx<RiskAssessmentRow[]>`
      insert into risk_assessments (customer_id, tolerance, lowest_category, answers, score, assessed_at, expires_at, questionnaire, questionnaire_sha256)
      values (${customerKey}, ${result.tolerance}, ${result.lowestCategory}, ${input.answers as number[]}::integer[], ${result.score},
              ${input.now}, ${expiresAt(input.now, input.questionnaire)}, ${input.questionnaireVersion.id}, ${input.questionnaireVersion.sha256})
      returning id, customer_id, tolerance, lowest_category, score, assessed_at, expires_at`;
    await permit.records!.observe(tx as unknown as Sql);
    return row!;
  });
}
