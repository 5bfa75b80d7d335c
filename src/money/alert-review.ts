// Compliance reviews risk alerts: a person takes an OPEN alert UNDER_REVIEW, then closes it (no
// report: the reason for excluding it is recorded) or REPORTS it to the 反洗钱监测分析机构
// (regulations 3.2: screened alerts are reviewed by a person, with the reasons to exclude or report).
// Every step is a row of the append-only review history with the reviewer, the reason and the time;
// the database moves the alert's status only through such a row (migration 0009), so the two never
// disagree. Alerts are never shown to the customers they are about (反洗钱法 Art. 35: no tipping-off):
// the access policy gives customers no riskAlert action at all.

import type { Sql } from '../db/database.ts';
import type { RiskAlertRow } from '../data/transactions.ts';
import { permitted } from '../data/query.ts';
import { badInput, clientError } from '../errors.ts';
import type { Permit } from '../policy/permit.ts';

/** The steps a review may make from each status. */
const REVIEW_STEPS: Readonly<Record<string, readonly string[]>> = {
  OPEN: ['UNDER_REVIEW'],
  UNDER_REVIEW: ['CLOSED', 'REPORTED'],
  CLOSED: [],
  REPORTED: [],
};

export interface ReviewInput {
  alertKey: string;
  /** The status to move to. */
  status: string;
  /** Why: what was checked, why it is excluded or reported. */
  reason: string;
}

/** What a review needs from the request. */
export interface ReviewContext {
  sql: Sql;
  /** The reviewer's token subject, recorded with the step. */
  principalId: string;
  /** The gate's permit for `riskAlert.review`. */
  permit: Permit;
  now: Date;
}

/**
 * Moves an alert one step of its review and records who, why and when; returns the alert as it is
 * now. The alert is locked first, so two reviewers cannot both move it from the same status.
 * Errors: NOT_FOUND (input.alertId), BAD_USER_INPUT (input.status: not a step from the alert's
 * status; input.reason: empty or over 2000 characters), POLICY_DENIED.
 */
export async function reviewRiskAlert(ctx: ReviewContext, input: ReviewInput): Promise<RiskAlertRow> {
  const reason = input.reason.trim();
  if (reason.length === 0 || reason.length > 2000) {
    throw badInput(
      'input.reason',
      // Stryker disable next-line StringLiteral: message text, tests assert codes
      'must be 1–2000 characters',
    );
  }
  const records = ctx.permit.records!;
  return ctx.sql.begin(async (tx) => {
    const [alert] = await tx<(RiskAlertRow & { institutionId: string })[]>`
      select r.*, (select institution_id from customers where id = r.customer_id) as institution_id
        from risk_alerts r where r.id = ${input.alertKey} and ${permitted(tx as unknown as Sql, ctx.permit, 'RiskAlert')}
         for update`;
    if (!alert) {
      throw clientError(
        'NOT_FOUND',
        // Stryker disable next-line StringLiteral: message text, tests assert codes
        'Risk alert not found',
        { field: 'input.alertId' },
      );
    }
    const facts = await records.facts(tx as unknown as Sql, { customer: alert.customerId });
    records.decide({
      type: 'RiskAlert',
      id: alert.id,
      attributes: { id: alert.id, customerId: alert.customerId, institutionId: alert.institutionId, kind: alert.kind, status: alert.status },
      facts,
      args: { input: { alertId: alert.id, status: input.status, reason } },
    });
    if (!REVIEW_STEPS[alert.status]!.includes(input.status)) {
      throw badInput(
        'input.status',
        // Stryker disable next-line StringLiteral,ConditionalExpression,LogicalOperator: message text, tests assert codes
        `a ${alert.status} alert moves to ${REVIEW_STEPS[alert.status]!.join(' or ') || 'nothing: its review is over'}`,
      );
    }
    const [reviewed] = await tx<RiskAlertRow[]>`
      with step as (
        insert into risk_alert_reviews (alert_id, from_status, to_status, reviewer, reason, reviewed_at)
        values (${alert.id}, ${alert.status}, ${input.status}, ${ctx.principalId}, ${reason}, ${ctx.now})
        returning alert_id
      )
      select r.id, r.kind, ${input.status}::text as status, r.customer_id, r.transaction_id, r.rule, r.side, r.reason, r.due_at, r.created_at
        from risk_alerts r join step on step.alert_id = r.id`;
    await records.observe(tx as unknown as Sql);
    return reviewed!;
  });
}
