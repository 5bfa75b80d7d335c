import type { Sql } from './db/database.ts';
import type { Loaders } from './data/loaders.ts';
import type { CoolingOffData } from './money/cooling-off.ts';
import type { Questionnaire } from './money/risk-assessment.ts';
import type { GateContext } from './policy/gate.ts';
import type { Principal } from './policy/principal.ts';
import type { PolicyRuntime } from './policy/runtime.ts';

/** Everything a resolver may use for one GraphQL request. */
export interface GatewayContext extends GateContext {
  sql: Sql;
  principal: Principal;
  /** Why personal information is being accessed (`x-access-purpose`), if the caller said. */
  purpose: string | null;
  /** The request's clock: every decision and query of one request sees the same instant. */
  now: Date;
  /** The business day's time zone (FINGATE_TIME_ZONE): what "today" means. */
  timeZone: string;
  loaders: Loaders;
  /** The policy lifecycle (listing and activating versions; decisions go through the gate). */
  policies: PolicyRuntime;
  /** The data of the policy versions in force for this request (thresholds, questionnaires). */
  policyData: PolicyData;
}

/** Compliance data that services apply, from the policy files in force. */
export interface PolicyData {
  /** The cooling-off terms purchases open their periods with. */
  coolingOff: CoolingOffData;
  riskQuestionnaire: Questionnaire;
}
