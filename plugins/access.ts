import { caslBodySchema, compileCasl, type CaslBody } from '../src/policy/casl.ts';
import type { PolicyModule } from '../src/policy/types.ts';

/**
 * Who may read and act on which records and fields: customers their own, advisors their
 * institution's customers (masked), compliance and auditors read-only. Rules as data (casl).
 */
export function accessPolicy(): PolicyModule<CaslBody> {
  return {
    name: 'access',
    engine: 'casl',
    description: 'Role and ownership rules for every read and action, with field masks',
    body: caslBodySchema,
    compile: (file) => compileCasl(file),
  };
}
