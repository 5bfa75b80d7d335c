import { currentDisclosureOf, loadDisclosuresOf } from '../src/data/disclosures.ts';
import { loadInstitution, loadLicences, type InstitutionRow } from '../src/data/institutions.ts';
import { changeProductStatus, listProducts, loadProduct, loadStatusHistory, statusChangesByKey, type ProductRow, type ProductStatusChangeRow } from '../src/data/products.ts';
import { keyOf, toGlobalId } from '../src/ids.ts';
import { permitOf } from '../src/policy/gate.ts';
import { RISK_LEVELS } from '../src/policy/vocabulary.ts';
import { builder } from './builder.ts';
import { existing, NodeRef, pageArgs, registerNode, toOne, type NodeSource } from './relay.ts';
import { DisclosureRef, InstitutionRef, LicenseRef, ProductConnection, ProductRef } from './refs.ts';

export const LicenseType = builder.enumType('LicenseType', {
  values: [
    'PAYMENT',
    'FUND_SALES',
    'WEALTH_MANAGEMENT',
    'ONLINE_MICROLENDING',
    'INSURANCE_AGENCY',
    'CONSUMER_FINANCE',
    'BANKING',
    'FUND_MANAGEMENT',
    'INSURANCE_UNDERWRITING',
  ] as const,
});
export const ProductRiskLevel = builder.enumType('ProductRiskLevel', {
  description: 'Product risk grades, R1 lowest',
  values: RISK_LEVELS,
});
export const ProductCategory = builder.enumType('ProductCategory', {
  values: ['DEPOSIT', 'WEALTH_MANAGEMENT', 'FUND', 'INSURANCE', 'LOAN', 'PAYMENT'] as const,
});
export const ProductOffering = builder.enumType('ProductOffering', {
  description: 'PRIVATE products (private funds, private wealth-management products) are sold only to qualified investors and never shown to others',
  values: ['PUBLIC', 'PRIVATE'] as const,
});
export const ProductStatus = builder.enumType('ProductStatus', {
  description: 'The lifecycle: DRAFT → IN_REVIEW → ONLINE ⇄ SUSPENDED → TERMINATED (final); IN_REVIEW may go back to DRAFT',
  values: ['DRAFT', 'IN_REVIEW', 'ONLINE', 'SUSPENDED', 'TERMINATED'] as const,
});

/** An institution by key, through the request's loader. */
const institution: NodeSource<InstitutionRow>['load'] = ({ sql, loaders }, permit, key) => loadInstitution(sql, loaders, permit, key);

const ProductStatusChangeRef = builder.objectRef<ProductStatusChangeRow>('ProductStatusChange');

InstitutionRef.implement({
  action: 'institution.read',
  resource: 'Institution',
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ action: 'public', resolve: (i) => toGlobalId('Institution', i.id) }),
    name: t.exposeString('name'),
    licenses: t.field({ type: [LicenseRef], resolve: (i, args, { sql, loaders }) => loadLicences(sql, loaders, permitOf(args), i.id) }),
  }),
});

LicenseRef.implement({
  action: 'licence.read',
  resource: 'Licence',
  fields: (t) => ({
    type: t.field({ type: LicenseType, resolve: (l) => l.type as never }),
    number: t.exposeString('number'),
    validFrom: t.field({ type: 'Date', resolve: (l) => l.validFrom }),
    validTo: t.field({ type: 'Date', nullable: true, resolve: (l) => l.validTo }),
    regions: t.exposeStringList('regions', { description: 'GB/T 2260 province codes; "000000" is nationwide' }),
    revoked: t.exposeBoolean('revoked'),
  }),
});

ProductRef.implement({
  action: 'product.read',
  resource: 'Product',
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ action: 'public', resolve: (p) => toGlobalId('Product', p.id) }),
    code: t.exposeString('code'),
    name: t.exposeString('name'),
    category: t.field({ type: ProductCategory, resolve: (p) => p.category as never }),
    riskLevel: t.field({ type: ProductRiskLevel, resolve: (p) => p.riskLevel as never }),
    status: t.field({ type: ProductStatus, resolve: (p) => p.status as never }),
    offering: t.field({ type: ProductOffering, resolve: (p) => p.offering as never }),
    investmentLinked: t.exposeBoolean('investmentLinked', {
      description: 'Investment-type insurance (投连险, 万能险): under investor suitability like a fund',
    }),
    issuer: t.field({
      type: InstitutionRef,
      ...toOne((p: ProductRow) => p.issuerId, institution, 'Institution'),
    }),
    distributor: t.field({
      type: InstitutionRef,
      description: 'The institution that sells it on this platform',
      ...toOne((p: ProductRow) => p.distributorId, institution, 'Institution'),
    }),
    minAmount: t.expose('minAmount', { type: 'Decimal' }),
    disclosures: t.field({
      type: [DisclosureRef],
      resolve: (p, args, { sql, loaders, now }) => loadDisclosuresOf(sql, loaders, permitOf(args), p.id, now),
    }),
    currentDisclosure: t.field({
      type: DisclosureRef,
      nullable: true,
      description: 'The newest published risk disclosure (or prospectus) a buyer must acknowledge',
      resolve: (p, args, { sql, loaders, now }) => currentDisclosureOf(sql, loaders, permitOf(args), p.id, now),
    }),
    statusHistory: t.field({
      type: [ProductStatusChangeRef],
      description: 'Every lifecycle step taken through changeProductStatus, oldest first (staff)',
      resolve: (p, args, { sql, loaders }) => loadStatusHistory(sql, loaders, permitOf(args), p.id),
    }),
  }),
});

ProductStatusChangeRef.implement({
  action: 'productStatusChange.read',
  resource: 'ProductStatusChange',
  description: "One step of a product's lifecycle: from where to where, who took it, when",
  records: { load: ({ sql }, permit, keys) => statusChangesByKey(sql, permit, keys) },
  fields: (t) => ({
    product: t.field({
      type: ProductRef,
      resolve: (c, args, { sql, loaders }) => existing(loadProduct(sql, loaders, permitOf(args), c.productId), 'Product'),
    }),
    from: t.field({ type: ProductStatus, resolve: (c) => c.fromStatus as never }),
    to: t.field({ type: ProductStatus, resolve: (c) => c.toStatus as never }),
    changedBy: t.exposeString('changedBy', { description: 'The token subject of the staff member who took the step' }),
    changedAt: t.field({ type: 'DateTime', resolve: (c) => c.changedAt }),
  }),
});

const ProductFilter = builder.inputType('ProductFilter', {
  fields: (t) => ({
    category: t.field({ type: ProductCategory }),
    riskLevel: t.field({ type: ProductRiskLevel }),
    status: t.field({ type: ProductStatus }),
  }),
});

registerNode('Product', { action: 'product.read', load: ({ sql, loaders }, permit, key) => loadProduct(sql, loaders, permit, key) });
registerNode('Institution', { action: 'institution.read', load: institution });

builder.queryFields((t) => ({
  product: t.field({
    type: ProductRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, { sql, loaders }) => existing(loadProduct(sql, loaders, permitOf(args), keyOf(args.id, 'Product')), 'Product'),
  }),
  products: t.field({
    type: ProductConnection,
    args: { ...pageArgs, filter: t.arg({ type: ProductFilter }) },
    resolve: (_root, args, { sql }) => listProducts(sql, permitOf(args), args),
  }),
}));

const ChangeProductStatusInput = builder.inputType('ChangeProductStatusInput', {
  fields: (t) => ({
    productId: t.id({ required: true }),
    status: t.field({ type: ProductStatus, required: true, description: 'One step from the current status (see ProductStatus)' }),
  }),
});

builder.mutationField('changeProductStatus', (t) =>
  t.field({
    type: ProductStatusChangeRef,
    action: 'product.changeStatus',
    resource: 'ProductStatusChange',
    description:
      "Moves a product one step along its lifecycle, recorded with who and when. Who may take which step is the access policy's; a move to ONLINE also needs licensing and a published risk disclosure",
    args: { input: t.arg({ type: ChangeProductStatusInput, required: true }) },
    resolve: (_root, { input, ...args }, { sql, principal, now }) =>
      changeProductStatus(sql, permitOf(args), {
        productKey: keyOf(input.productId, 'Product', 'input.productId'),
        status: input.status,
        changedBy: principal.id,
        now,
      }),
  }),
);
