// The suitability module (投资者适当性): may this customer buy this product, given its risk level and
// the customer's risk profile? The logic is Rego (policies/suitability/suitability.v<N>.rego, compiled
// to the wasm beside it); this file validates the policy file's `data:` section, which the Rego reads
// as OPA data, and turns a purchase request into the Rego input.

import { z } from 'zod';
import { loadRegoPolicy, parseRegoDecision } from '../src/policy/rego.ts';
import type { ModuleDecision, PolicyModule, PolicyRequest } from '../src/policy/types.ts';

const code = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an UPPER_SNAKE_CASE code');
const tolerance = z.enum(['C1', 'C2', 'C3', 'C4', 'C5']);

const data = z
  .strictObject({
    /** The actions this module decides, e.g. product.purchase; it abstains on all others. */
    actions: z.array(z.string().regex(/^[a-z][a-zA-Z]*\.[a-z][a-zA-Z]*$/, 'must be an action such as product.purchase')).min(1),
    /** Product risk grades, lowest risk first. */
    grades: z.array(code).min(1),
    /** The highest grade each ordinary investor class buys within its tolerance. */
    maxGrade: z.record(tolerance, code),
    /** The highest grade the lowest risk-tolerance category may buy at all. */
    lowestCategoryMaxGrade: code,
    /** Product category → regulatory regime (CSRC, BANK_WMP); unlisted categories are outside suitability. */
    regimes: z.record(code, code),
  })
  .superRefine((value, ctx) => {
    // a grade the Rego cannot rank would silently fall through to a deny: say so at load instead
    const known = new Set(value.grades);
    if (known.size !== value.grades.length) ctx.addIssue({ code: 'custom', path: ['grades'], message: 'grades must be distinct' });
    for (const [investor, grade] of Object.entries(value.maxGrade)) {
      if (!known.has(grade)) ctx.addIssue({ code: 'custom', path: ['maxGrade', investor], message: `${grade} is not one of grades` });
    }
    if (!known.has(value.lowestCategoryMaxGrade)) {
      ctx.addIssue({ code: 'custom', path: ['lowestCategoryMaxGrade'], message: `${value.lowestCategoryMaxGrade} is not one of grades` });
    }
  });

const body = z.strictObject({ data });

/** The body of a suitability policy file: its `data:` section, the Rego policy's OPA data. */
export type SuitabilityBody = z.infer<typeof body>;

const ABSTAIN: ModuleDecision = { effect: 'abstain', reasons: [], obligations: {} };

/**
 * Risk-tier suitability for purchases (适当性办法, 商业银行理财业务监督管理办法): the request's
 * `context` must carry `product` ({ id, category, riskLevel, status }) and `customer`
 * ({ id, investorType, riskProfile }), loaded before deciding.
 */
export function suitabilityPolicy(): PolicyModule<SuitabilityBody> {
  return {
    name: 'suitability',
    engine: 'rego',
    description: 'Investor suitability: products above the customer’s risk tolerance are refused or need a confirmed risk warning',
    body,
    compile(file, { wasm }) {
      if (!wasm) throw new Error('suitability is a Rego module: compiling it needs its wasm');
      let policy: ReturnType<typeof loadRegoPolicy>;
      try {
        policy = loadRegoPolicy(wasm, file.body.data);
      } catch (error) {
        // the loader reports the line of `path`: point at the wasm the file names
        throw Object.assign(new Error((error as Error).message), { path: ['rego', 'wasm'] });
      }
      const actions = new Set(file.body.data.actions);
      return {
        decide(request) {
          if (!actions.has(request.action)) return ABSTAIN;
          // "may this principal purchase at all?" carries no record: suitability decides per purchase
          if (!request.resource) return ABSTAIN;
          return parseRegoDecision(policy.evaluate(regoInput(request)));
        },
      };
    },
  };
}

/** The request as the Rego input: plain JSON, `now` an ISO-8601 UTC string that orders as it compares. */
function regoInput(request: PolicyRequest) {
  return {
    principal: request.principal,
    purpose: request.purpose,
    action: request.action,
    resource: request.resource ?? null,
    args: request.args ?? {},
    context: request.context ?? {},
    now: request.now.toISOString(),
  };
}
