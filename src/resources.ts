import type { Columns } from './db/row-filter.ts';

/**
 * The resource types policies speak about: the SQL behind each attribute they may name (data
 * functions query each table under the alias used here, so a policy's row condition becomes a WHERE
 * clause on that query), and the GraphQL fields a policy may hide or mask (nullable ones only).
 */
export const resources = {
  Customer: {
    alias: 'c',
    hideable: ['name', 'idNumber', 'phone', 'email', 'birthDate'],
    columns: { id: 'c.id', customerId: 'c.id', institutionId: 'c.institution_id', investorType: 'c.investor_type', region: 'c.region' },
  },
  Account: {
    alias: 'a',
    hideable: ['cardNumber'],
    columns: {
      id: 'a.id',
      customerId: 'a.customer_id',
      institutionId: '(select institution_id from customers where id = a.customer_id)',
      kind: 'a.kind',
    },
  },
  Transaction: {
    alias: 't',
    columns: {
      id: 't.id',
      customerId: 't.customer_id',
      institutionId: '(select institution_id from customers where id = t.customer_id)',
      productId: 't.product_id',
      type: 't.type',
      status: 't.status',
    },
  },
  RiskAlert: {
    alias: 'r',
    columns: {
      id: 'r.id',
      customerId: 'r.customer_id',
      institutionId: '(select institution_id from customers where id = r.customer_id)',
      kind: 'r.kind',
      status: 'r.status',
    },
  },
  Product: {
    alias: 'p',
    columns: {
      id: 'p.id',
      issuerId: 'p.issuer_id',
      distributorId: 'p.distributor_id',
      category: 'p.category',
      riskLevel: 'p.risk_level',
      status: 'p.status',
    },
  },
  Institution: { alias: 'i', columns: { id: 'i.id', kind: 'i.kind' } },
  Disclosure: { alias: 'd', columns: { id: 'd.id', productId: 'd.product_id', kind: 'd.kind' } },
  Policy: { alias: 'pa', columns: { module: 'pa.module' } },
  AuditEvent: { alias: 'ae', columns: { id: 'ae.id', actor: 'ae.actor', resourceType: 'ae.resource_type' } },
} as const satisfies Record<string, { alias: string; columns: Columns; hideable?: readonly string[] }>;

/** A resource type policies can name. */
export type ResourceType = keyof typeof resources;

export const isResourceType = (name: string): name is ResourceType => Object.hasOwn(resources, name);

/** Actions whose rows are not the resource their name starts with: money moves out of accounts. */
const ACTION_RESOURCES: Readonly<Record<string, ResourceType>> = {
  'product.purchase': 'Account',
  'product.redeem': 'Account',
  'customer.assessRisk': 'Customer',
  'disclosure.acknowledge': 'Customer',
  'audit.read': 'AuditEvent',
};

/** The resource whose rows an action covers: `riskAlert.read` covers `RiskAlert` rows. */
export function resourceOf(action: string): ResourceType | undefined {
  if (Object.hasOwn(ACTION_RESOURCES, action)) return ACTION_RESOURCES[action];
  const noun = action.slice(0, action.indexOf('.'));
  const type = noun.charAt(0).toUpperCase() + noun.slice(1);
  return isResourceType(type) ? type : undefined;
}

/** The fields of a resource type that a policy may hide or mask. */
export function hideableFields(type: ResourceType): readonly string[] {
  const resource = resources[type];
  return 'hideable' in resource ? resource.hideable : [];
}
