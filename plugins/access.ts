import { caslBodySchema, type CaslBody } from '../src/policy/casl.ts';
import type { PolicyModule } from '../src/policy/types.ts';

/**
 * Who may read and act on which records: customers their own, advisors their institution's
 * customers, compliance and auditors read-only. Rules as data (casl); lists become SQL filters.
 */
export function accessPolicy(): PolicyModule<CaslBody> {
  return {
    name: 'access',
    engine: 'casl',
    description: 'Role and ownership rules for every read and action',
    body: caslBodySchema,
  };
}
