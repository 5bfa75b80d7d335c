// The suitability module (投资者适当性): may this customer buy this product, given its risk level and
// the customer's risk profile? The logic is Rego (policies/suitability/suitability.v<N>.rego, compiled
// to the wasm beside it); this file validates the policy file's `data:` section, which the Rego reads
// as OPA data, and names the facts the Rego decides with.

import { z } from 'zod';
import type { PolicyModule } from '../src/policy/types.ts';
import { ACTION_PATTERN, CODE_PATTERN, TOLERANCES } from '../src/policy/vocabulary.ts';

const code = z.string().regex(CODE_PATTERN, 'must be an UPPER_SNAKE_CASE code');
const tolerance = z.enum(TOLERANCES);

const data = z
  .strictObject({
    /** The actions this module decides, e.g. product.purchase; it abstains on all others. */
    actions: z.array(z.string().regex(ACTION_PATTERN, 'must be an action such as product.purchase')).min(1),
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

/**
 * Risk-tier suitability for purchases (适当性办法, 商业银行理财业务监督管理办法): the Rego decides
 * each purchase from the `product` ({ id, category, riskLevel, status }) and the buying `customer`
 * ({ id, investorType, riskProfile }), loaded in the purchase's transaction.
 */
export function suitabilityPolicy(): PolicyModule<SuitabilityBody> {
  return {
    name: 'suitability',
    engine: 'rego',
    description: 'Investor suitability: products above the customer’s risk tolerance are refused or need a confirmed risk warning',
    body,
    facts: ['customer', 'product'],
  };
}
