// The suitability module (投资者适当性): may this customer buy this product, given its risk level,
// how it is offered and the customer's risk profile, age and qualification; and does the evidence
// make a customer a qualified investor? The logic is Rego (policies/suitability/suitability.v<N>.rego,
// compiled to the wasm beside it); this file validates the policy file's `data:` section, which the
// Rego reads as OPA data, and names the facts the Rego decides with.

import { z } from 'zod';
import type { PolicyModule } from '../src/policy/types.ts';
import { ACTION_PATTERN, CODE_PATTERN, TOLERANCES } from '../src/policy/vocabulary.ts';

const code = z.string().regex(CODE_PATTERN, 'must be an UPPER_SNAKE_CASE code');
const tolerance = z.enum(TOLERANCES);
const actions = z.array(z.string().regex(ACTION_PATTERN, 'must be an action such as product.purchase')).min(1);
const citation = z.string().min(1);
/** Money as a two-place decimal string, as the Rego compares it (integer cents, never floats). */
const money = z.string().regex(/^(0|[1-9]\d{0,17})\.\d{2}$/, 'must be a two-place decimal string such as "3000000.00"');

/** The grade tables both layouts share: grades low to high, and what each investor class matches. */
const gradeTables = {
  /** The actions this module decides, e.g. product.purchase; it abstains on all others. */
  actions,
  /** Product risk grades, lowest risk first. */
  grades: z.array(code).min(1),
  /** The highest grade each ordinary investor class buys within its tolerance. */
  maxGrade: z.record(tolerance, code),
  /** The highest grade the lowest risk-tolerance category may buy at all. */
  lowestCategoryMaxGrade: code,
};

/** How one regulatory regime treats a purchase, and the rule each of its reasons cites. */
const regime = z.strictObject({
  /** Above the customer's tolerance: CONFIRM (the special written risk warning, then sell) or DENY. */
  aboveTolerance: z.enum(['CONFIRM', 'DENY']),
  /** Whether professional investors match every grade (证券法 Art. 89) or are matched by their assessment. */
  professionalMatchesAll: z.boolean(),
  regulations: z.strictObject({
    assessmentRequired: citation,
    assessmentExpired: citation,
    withinTolerance: citation,
    professional: citation,
    lowestCategory: citation,
    aboveTolerance: citation,
  }),
});

/**
 * Version 2 on. Loose: a later version may add tables its own Rego reads (a compliance officer
 * changes a rule by editing Rego and data alone); what version 2's Rego reads is checked here.
 */
const dataV2 = z
  .looseObject({
    /** The layout of this section: 2. */
    format: z.literal(2),
    ...gradeTables,
    /** What the Rego cites when the facts it needs are missing. */
    factsMissing: citation,
    /** Product families, first match wins: a category (and, if given, whether it is investment-linked) → its regime. Others are outside suitability. */
    families: z.array(z.strictObject({ category: code, investmentLinked: z.boolean().optional(), regime: code })).min(1),
    regimes: z.record(code, regime),
    /** Customers younger than `adultAge` on the business day are of the lowest category. */
    minors: z.strictObject({ adultAge: z.number().int().min(1).max(150), regulation: citation }),
    /** Private products: who counts as a qualified investor, and for how long a confirmation may hold. */
    qualifiedInvestor: z.strictObject({
      /** The evidence that qualifies an individual: basis → the least amount (CNY). */
      thresholds: z.record(code, money).refine((t) => Object.keys(t).length > 0, 'name at least one basis'),
      maxValidityDays: z.number().int().min(0).max(3660),
      regulation: citation,
    }),
    /** The special written risk warning (特别风险警示书) a purchase above tolerance confirms: its version and text. */
    riskWarning: z.strictObject({
      id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a short version id such as SRW-2026-01'),
      /** `{riskLevel}` and `{tolerance}` are filled in for the purchase. */
      text: z.string().min(1),
    }),
  })
  .superRefine((value, ctx) => {
    checkGrades(value, ctx);
    value.families.forEach((family, i) => {
      if (!Object.hasOwn(value.regimes, family.regime)) ctx.addIssue({ code: 'custom', path: ['families', i, 'regime'], message: `${family.regime} is not one of regimes` });
    });
  });

/** Version 1's layout (no `format`): product category → regime, the regimes' rules in its Rego. */
const dataV1 = z
  .strictObject({
    format: z.literal(1).optional(),
    ...gradeTables,
    /** Product category → regulatory regime (CSRC, BANK_WMP); unlisted categories are outside suitability. */
    regimes: z.record(code, code),
  })
  .superRefine(checkGrades);

// a grade the Rego cannot rank would silently fall through to a deny: say so at load instead
function checkGrades(value: { grades: string[]; maxGrade: Partial<Record<string, string>>; lowestCategoryMaxGrade: string }, ctx: z.RefinementCtx): void {
  const known = new Set(value.grades);
  if (known.size !== value.grades.length) ctx.addIssue({ code: 'custom', path: ['grades'], message: 'grades must be distinct' });
  for (const [investor, grade] of Object.entries(value.maxGrade)) {
    if (!known.has(grade!)) ctx.addIssue({ code: 'custom', path: ['maxGrade', investor], message: `${grade} is not one of grades` });
  }
  if (!known.has(value.lowestCategoryMaxGrade)) {
    ctx.addIssue({ code: 'custom', path: ['lowestCategoryMaxGrade'], message: `${value.lowestCategoryMaxGrade} is not one of grades` });
  }
}

const body = z.strictObject({ data: z.discriminatedUnion('format', [dataV2, dataV1]) });

/** The body of a suitability policy file: its `data:` section, the Rego policy's OPA data. */
export type SuitabilityBody = z.infer<typeof body>;

/**
 * Risk-tier suitability (适当性办法, 商业银行理财业务监督管理办法, 私募投资基金监督管理条例): the Rego
 * decides each purchase from the `product` ({ id, category, riskLevel, status, offering,
 * investmentLinked }) and the buying `customer` ({ id, investorType, age, riskProfile,
 * qualifiedInvestor }), loaded in the purchase's transaction, and each qualified-investor
 * confirmation from its evidence (`args.input`: basis, amount, validDays).
 */
export function suitabilityPolicy(): PolicyModule<SuitabilityBody> {
  return {
    name: 'suitability',
    engine: 'rego',
    description: 'Investor suitability: products above the customer’s risk tolerance are refused or need a confirmed risk warning; private products need a qualified investor',
    body,
    facts: ['customer', 'product'],
  };
}
