import type { Columns } from './db/row-filter.ts';

/**
 * The resource types policies speak about: the table behind each, the alias data functions query
 * it under, and the SQL behind each attribute a policy may name (so a policy's row condition
 * becomes a WHERE clause on that query). Which actions cover which resource, and which fields are
 * personal, the schema declares (src/policy/gate.ts catalogueOf).
 */
export const resources = {
  Customer: {
    table: 'customers',
    alias: 'c',
    columns: { id: 'c.id', customerId: 'c.id', institutionId: 'c.institution_id', investorType: 'c.investor_type', region: 'c.region' },
  },
  RiskProfile: {
    table: 'risk_assessments',
    alias: 'ra',
    columns: { id: 'ra.id', customerId: 'ra.customer_id', institutionId: '(select institution_id from customers where id = ra.customer_id)' },
  },
  Account: {
    table: 'accounts',
    alias: 'a',
    columns: {
      id: 'a.id',
      customerId: 'a.customer_id',
      institutionId: '(select institution_id from customers where id = a.customer_id)',
      kind: 'a.kind',
    },
  },
  Transaction: {
    table: 'transactions',
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
    table: 'risk_alerts',
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
    table: 'products',
    alias: 'p',
    columns: {
      id: 'p.id',
      issuerId: 'p.issuer_id',
      distributorId: 'p.distributor_id',
      category: 'p.category',
      riskLevel: 'p.risk_level',
      status: 'p.status',
      offering: 'p.offering',
      // the customers with a position in it, current or fully redeemed (their own history names it)
      holderIds: 'array(select ps.customer_id from positions ps where ps.product_id = p.id)',
      // the customers confirmed as qualified investors now (the same for every product; private ones ask)
      qualifiedInvestorIds: 'exists(select 1 from qualified_investor_confirmations qc where qc.customer_id = {key} and qc.expires_at > now())',
    },
  },
  ProductStatusChange: {
    table: 'product_status_changes',
    alias: 'sc',
    columns: {
      id: 'sc.id',
      productId: 'sc.product_id',
      distributorId: '(select distributor_id from products where id = sc.product_id)',
      issuerId: '(select issuer_id from products where id = sc.product_id)',
      fromStatus: 'sc.from_status',
      toStatus: 'sc.to_status',
    },
  },
  QualifiedInvestor: {
    table: 'qualified_investor_confirmations',
    alias: 'qc',
    columns: {
      id: 'qc.id',
      customerId: 'qc.customer_id',
      institutionId: '(select institution_id from customers where id = qc.customer_id)',
    },
  },
  Institution: { table: 'institutions', alias: 'i', columns: { id: 'i.id', kind: 'i.kind' } },
  Licence: { table: 'licences', alias: 'l', columns: { id: 'l.id', institutionId: 'l.institution_id', type: 'l.type' } },
  Disclosure: { table: 'disclosures', alias: 'd', columns: { id: 'd.id', productId: 'd.product_id', kind: 'd.kind' } },
  Acknowledgement: {
    table: 'disclosure_acknowledgements',
    alias: 'k',
    columns: {
      id: 'k.id',
      customerId: 'k.customer_id',
      institutionId: '(select institution_id from customers where id = k.customer_id)',
      disclosureId: 'k.disclosure_id',
    },
  },
  Policy: { table: 'policy_activations', alias: 'pa', columns: { module: 'pa.module' } },
  AuditEvent: { table: 'audit_events', alias: 'ae', columns: { id: 'ae.id', actor: 'ae.actor', resourceType: 'ae.resource_type' } },
} as const satisfies Record<string, { table: string; alias: string; columns: Columns }>;

/** A resource type policies can name. */
export type ResourceType = keyof typeof resources;

export const isResourceType = (name: string): name is ResourceType => Object.hasOwn(resources, name);
