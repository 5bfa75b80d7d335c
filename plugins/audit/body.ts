// What an audit policy file says (everything after the header): the record kinds and which
// actions' decisions each holds, how long each is kept and on what authority, which reads of
// non-personal data are left out, and which attributes never go into a record.

import { z } from 'zod';
import { ACTION_PATTERN } from '../../src/policy/vocabulary.ts';

const action = z.string().regex(ACTION_PATTERN, 'must be an action such as customer.read');
const kindName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a lowercase kind name');

/** How long a record is kept, counted from the decision: years, months and days add up. */
const retention = z
  .strictObject({
    years: z.number().int().min(0).max(100).optional(),
    months: z.number().int().min(0).max(1200).optional(),
    days: z.number().int().min(0).max(36500).optional(),
  })
  .refine((r) => (r.years ?? 0) + (r.months ?? 0) + (r.days ?? 0) > 0, 'must keep records for some time');

const kind = z.strictObject({
  description: z.string().min(1),
  /** The actions whose decisions are records of this kind (the default kind takes the rest). */
  actions: z.array(action).default([]),
  retention,
  /** The rule that sets the period, with its status tag ([P] primary, [S] secondary, [U] unverified). */
  regulation: z.string().min(1),
});

export const auditBody = z
  .strictObject({
    kinds: z.record(kindName, kind).refine((kinds) => Object.keys(kinds).length > 0, 'needs at least one kind'),
    /** The kind of a decision whose action no kind lists: new actions are recorded, never dropped. */
    defaultKind: kindName,
    /** Reads of data about no person (the catalogue, policies): allowed ones may go unrecorded; denials always are. */
    nonPersonalReads: z.strictObject({
      actions: z.array(action),
      recordAllowed: z.boolean(),
    }),
    /**
     * Decisions about the request itself rather than any record (the declared purpose, which every
     * record carries anyway): allowed ones go unrecorded; a refused one ends the request before it runs.
     */
    requestChecks: z.array(z.string().min(1)).default([]),
    /** Attribute names whose values never go into a record (at any depth of a decision's input). */
    neverRecord: z.array(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/)).min(1),
  })
  .superRefine((body, ctx) => {
    if (!Object.hasOwn(body.kinds, body.defaultKind)) {
      ctx.addIssue({ code: 'custom', path: ['defaultKind'], message: `"${body.defaultKind}" is not one of kinds` });
    }
    const owner = new Map<string, string>();
    for (const [name, k] of Object.entries(body.kinds)) {
      k.actions.forEach((a, i) => {
        if (owner.has(a)) ctx.addIssue({ code: 'custom', path: ['kinds', name, 'actions', i], message: `${a} is already a ${owner.get(a)} action` });
        owner.set(a, name);
      });
    }
    body.nonPersonalReads.actions.forEach((a, i) => {
      if (!a.endsWith('.read')) ctx.addIssue({ code: 'custom', path: ['nonPersonalReads', 'actions', i], message: `${a} is not a read` });
    });
  });

/** The body of an audit policy file. */
export type AuditBody = z.infer<typeof auditBody>;
