// Deterministic demo data: institutions and their licences, products and disclosures, and customers
// with identities, risk assessments, accounts and a ledger history. Pure: no database here, only
// rows whose keys are the column names, ready for seed.ts to insert.
//
// Money is integer cents while generating (safe far beyond any balance here) and 'NNN.NN' strings
// in the rows. Timestamps are offsets from `now`, so the same seed and `now` give the same data.

import { gb11643CheckChar, luhnCheckDigit } from './identity.ts';
import { createRandom, weightedTable, type Random, type WeightedTable } from './random.ts';

/** The `institutions.kind` values. */
export type InstitutionKind =
  | 'BANK'
  | 'FUND_MANAGER'
  | 'WEALTH_MANAGEMENT_CO'
  | 'INSURER'
  | 'PAYMENT_INSTITUTION'
  | 'SECURITIES_FIRM'
  | 'CONSUMER_FINANCE_CO'
  | 'PLATFORM';
/** The `licences.type` values. */
export type LicenceType =
  | 'PAYMENT'
  | 'FUND_SALES'
  | 'WEALTH_MANAGEMENT'
  | 'ONLINE_MICROLENDING'
  | 'INSURANCE_AGENCY'
  | 'CONSUMER_FINANCE'
  | 'BANKING'
  | 'FUND_MANAGEMENT'
  | 'INSURANCE_UNDERWRITING';
/** The `products.category` values. */
export type ProductCategory = 'DEPOSIT' | 'WEALTH_MANAGEMENT' | 'FUND' | 'INSURANCE' | 'LOAN' | 'PAYMENT';
/** Product risk levels, low to high. */
export type RiskLevel = 'R1' | 'R2' | 'R3' | 'R4' | 'R5';
/** Investor risk-tolerance categories, low to high. */
export type Tolerance = 'C1' | 'C2' | 'C3' | 'C4' | 'C5';
/** The `products.status` values. */
export type ProductStatus = 'DRAFT' | 'IN_REVIEW' | 'ONLINE' | 'SUSPENDED' | 'TERMINATED';
/** The `disclosures.kind` values. */
export type DisclosureKind = 'PROSPECTUS' | 'RISK_DISCLOSURE' | 'FEE_SCHEDULE' | 'PERIODIC_REPORT';
/** The ledger transaction types the demo history uses (no reversals). */
export type TransactionType = 'DEPOSIT' | 'PURCHASE' | 'REDEMPTION' | 'TRANSFER';
/** The `risk_alerts.status` values. */
export type AlertStatus = 'OPEN' | 'UNDER_REVIEW' | 'CLOSED' | 'REPORTED';

// Rows: one interface per table, keyed by column name. Ids are explicit so rows can reference each
// other before anything is inserted; timestamps are ISO strings, dates 'YYYY-MM-DD', money 'NNN.NN'.

/** A row of `institutions`. */
export interface InstitutionRow {
  id: number;
  name: string;
  kind: InstitutionKind;
  created_at: string;
}

/** A row of `licences` (its id is left to the database). */
export interface LicenceRow {
  institution_id: number;
  type: LicenceType;
  number: string;
  valid_from: string;
  valid_to: string | null;
  regions: string[];
  revoked: boolean;
}

/** A row of `products`. */
export interface ProductRow {
  id: number;
  code: string;
  name: string;
  category: ProductCategory;
  risk_level: RiskLevel;
  status: ProductStatus;
  offering: 'PUBLIC' | 'PRIVATE';
  investment_linked: boolean;
  issuer_id: number;
  distributor_id: number;
  currency: string;
  min_amount: string;
  created_at: string;
}

/** A row of `disclosures`. */
export interface DisclosureRow {
  id: number;
  product_id: number;
  kind: DisclosureKind;
  version: number;
  title: string;
  body: string;
  published_at: string;
}

/** A row of `customers`. */
export interface CustomerRow {
  id: number;
  institution_id: number;
  name: string;
  id_number: string;
  phone: string;
  email: string | null;
  birth_date: string;
  investor_type: 'ORDINARY' | 'PROFESSIONAL';
  region: string;
  created_at: string;
}

/** A row of `risk_assessments`; `score` is the sum of `answers`. */
export interface RiskAssessmentRow {
  customer_id: number;
  tolerance: Tolerance;
  lowest_category: boolean;
  answers: number[];
  score: number;
  assessed_at: string;
  expires_at: string;
}

/** A row of `accounts`, inserted with balance 0 (postings fund it). */
export interface AccountRow {
  id: number;
  kind: 'CUSTOMER' | 'PRODUCT' | 'SYSTEM';
  customer_id: number | null;
  product_id: number | null;
  name: string;
  currency: string;
  card_number: string | null;
  allow_negative: boolean;
  created_at: string;
}

/** A row of `transactions`. */
export interface TransactionRow {
  id: number;
  type: TransactionType;
  status: 'COMPLETED';
  amount: string;
  currency: string;
  customer_id: number;
  product_id: number | null;
  created_at: string;
}

/** A row of `postings`: negative takes money out of the account. */
export interface PostingRow {
  transaction_id: number;
  account_id: number;
  amount: string;
}

/** A row of `positions`: what a customer holds in a product. */
export interface PositionRow {
  customer_id: number;
  product_id: number;
  amount: string;
}

/** A row of `disclosure_acknowledgements`. */
export interface AcknowledgementRow {
  customer_id: number;
  disclosure_id: number;
  acknowledged_at: string;
}

/** A row of `risk_alerts`. */
export interface RiskAlertRow {
  kind: 'LARGE_VALUE';
  status: AlertStatus;
  customer_id: number;
  transaction_id: number;
  rule: string;
  reason: string;
  created_at: string;
}

/** What to generate. */
export interface DemoOptions {
  /** How many customers (at most `MAX_DEMO_CUSTOMERS`). */
  customers: number;
  /** Equal seeds (with equal `now`) give equal data. */
  seed: string | number;
  /** Where the generated history ends; every timestamp lies before it. @default the start of the current UTC day */
  now?: Date;
}

/** The rows that do not depend on the number of customers. */
export interface ReferenceData {
  institutions: InstitutionRow[];
  licences: LicenceRow[];
  products: ProductRow[];
  disclosures: DisclosureRow[];
  /** The SYSTEM clearing account (id 1) and one PRODUCT account per product. */
  accounts: AccountRow[];
}

/** The rows of a run of consecutive customers; postings of a transaction are always in the same batch. */
export interface CustomerBatch {
  customers: CustomerRow[];
  riskAssessments: RiskAssessmentRow[];
  accounts: AccountRow[];
  transactions: TransactionRow[];
  postings: PostingRow[];
  positions: PositionRow[];
  acknowledgements: AcknowledgementRow[];
  alerts: RiskAlertRow[];
}

/** All demo rows at once. */
export type DemoData = Omit<ReferenceData, 'accounts'> & CustomerBatch;

/** Reference data now, customers in batches as they are asked for. */
export interface DemoGenerator {
  reference: ReferenceData;
  /** Generates the customers in order, `size` at a time. The batch size does not change the data. Call once. */
  batches(size: number): Generator<CustomerBatch, void, undefined>;
}

const DAY = 86_400_000;
const MINUTE = 60_000;
const CURRENCY = 'CNY';
const CLEARING_ACCOUNT_ID = 1;
/** Transfers from this amount up are large-value transactions of natural persons (rule 0503). */
const LARGE_TRANSFER_CENTS = 500_000_00;

// ---------------------------------------------------------------------------------------------
// Reference data: who is who in this small fictional market

type InstitutionKey =
  | 'dongyue'
  | 'yunqi'
  | 'chengjiang'
  | 'qinghe'
  | 'yuanshan'
  | 'dongyueWm'
  | 'yunqiWm'
  | 'anhe'
  | 'hongze'
  | 'yinxing'
  | 'changzhou'
  | 'herun'
  | 'platform';

interface InstitutionSpec {
  key: InstitutionKey;
  name: string;
  short: string;
  kind: InstitutionKind;
  /** Customers it services: a relative weight, and the provinces it operates in (none = nationwide). */
  services?: { weight: number; provinces?: string[] };
}

const NATIONWIDE = '000000';
const YUNQI_PROVINCES = ['330000', '310000', '320000'];
const CHENGJIANG_PROVINCES = ['530000'];

const INSTITUTIONS: readonly InstitutionSpec[] = [
  { key: 'dongyue', name: '东岳银行股份有限公司', short: '东岳银行', kind: 'BANK', services: { weight: 30 } },
  { key: 'yunqi', name: '云栖商业银行股份有限公司', short: '云栖银行', kind: 'BANK', services: { weight: 18, provinces: YUNQI_PROVINCES } },
  { key: 'chengjiang', name: '澄江农村商业银行股份有限公司', short: '澄江农商银行', kind: 'BANK', services: { weight: 25, provinces: CHENGJIANG_PROVINCES } },
  { key: 'qinghe', name: '青禾基金管理有限公司', short: '青禾基金', kind: 'FUND_MANAGER', services: { weight: 3 } },
  { key: 'yuanshan', name: '远山基金管理有限公司', short: '远山基金', kind: 'FUND_MANAGER' },
  { key: 'dongyueWm', name: '东岳理财有限责任公司', short: '东岳理财', kind: 'WEALTH_MANAGEMENT_CO' },
  { key: 'yunqiWm', name: '云栖理财有限责任公司', short: '云栖理财', kind: 'WEALTH_MANAGEMENT_CO' },
  { key: 'anhe', name: '安和人寿保险股份有限公司', short: '安和人寿', kind: 'INSURER' },
  { key: 'hongze', name: '鸿泽财产保险股份有限公司', short: '鸿泽财险', kind: 'INSURER' },
  { key: 'yinxing', name: '银杏支付科技有限公司', short: '银杏支付', kind: 'PAYMENT_INSTITUTION', services: { weight: 4 } },
  { key: 'changzhou', name: '长舟证券股份有限公司', short: '长舟证券', kind: 'SECURITIES_FIRM', services: { weight: 10 } },
  { key: 'herun', name: '禾润消费金融股份有限公司', short: '禾润消费金融', kind: 'CONSUMER_FINANCE_CO' },
  { key: 'platform', name: '金途数字金融信息服务（上海）有限公司', short: '金途金融', kind: 'PLATFORM', services: { weight: 28 } },
];

interface LicenceSpec {
  type: LicenceType;
  regions: string[];
  /** Years since it took effect. */
  age: number;
  /** Years it is valid for; open-ended when absent. */
  term?: number;
  revoked?: boolean;
}

// Some licences have lapsed (term shorter than age) or were revoked, so that the policies of the
// gateway have something to refuse.
const LICENCES: Readonly<Record<InstitutionKey, readonly LicenceSpec[]>> = {
  dongyue: [
    { type: 'FUND_SALES', regions: [NATIONWIDE], age: 12 },
    { type: 'WEALTH_MANAGEMENT', regions: [NATIONWIDE], age: 6 },
    { type: 'INSURANCE_AGENCY', regions: [NATIONWIDE], age: 2, term: 3 },
    { type: 'BANKING', regions: [NATIONWIDE], age: 20 },
  ],
  yunqi: [
    { type: 'FUND_SALES', regions: YUNQI_PROVINCES, age: 8 },
    { type: 'WEALTH_MANAGEMENT', regions: YUNQI_PROVINCES, age: 5 },
    { type: 'INSURANCE_AGENCY', regions: YUNQI_PROVINCES, age: 3.4, term: 3 },
    { type: 'BANKING', regions: YUNQI_PROVINCES, age: 15 },
  ],
  chengjiang: [
    { type: 'INSURANCE_AGENCY', regions: CHENGJIANG_PROVINCES, age: 1, term: 3 },
    { type: 'FUND_SALES', regions: CHENGJIANG_PROVINCES, age: 6, revoked: true },
    { type: 'BANKING', regions: CHENGJIANG_PROVINCES, age: 12 },
  ],
  qinghe: [
    { type: 'FUND_SALES', regions: [NATIONWIDE], age: 15 },
    { type: 'FUND_MANAGEMENT', regions: [NATIONWIDE], age: 15 },
  ],
  yuanshan: [
    { type: 'FUND_SALES', regions: [NATIONWIDE], age: 9 },
    { type: 'FUND_MANAGEMENT', regions: [NATIONWIDE], age: 9 },
  ],
  dongyueWm: [{ type: 'WEALTH_MANAGEMENT', regions: [NATIONWIDE], age: 5 }],
  yunqiWm: [{ type: 'WEALTH_MANAGEMENT', regions: [NATIONWIDE], age: 4 }],
  anhe: [
    { type: 'INSURANCE_AGENCY', regions: [NATIONWIDE], age: 2, term: 3 },
    { type: 'INSURANCE_UNDERWRITING', regions: [NATIONWIDE], age: 12 },
  ],
  hongze: [
    { type: 'INSURANCE_AGENCY', regions: [NATIONWIDE], age: 3.2, term: 3 },
    { type: 'INSURANCE_AGENCY', regions: [NATIONWIDE], age: 0.15, term: 3 },
    { type: 'INSURANCE_UNDERWRITING', regions: [NATIONWIDE], age: 10 },
  ],
  yinxing: [
    { type: 'PAYMENT', regions: [NATIONWIDE], age: 7, term: 5 },
    { type: 'PAYMENT', regions: [NATIONWIDE], age: 2, term: 5 },
  ],
  changzhou: [{ type: 'FUND_SALES', regions: [NATIONWIDE], age: 14 }],
  herun: [{ type: 'CONSUMER_FINANCE', regions: [NATIONWIDE], age: 7 }],
  platform: [
    { type: 'FUND_SALES', regions: [NATIONWIDE], age: 6 },
    { type: 'INSURANCE_AGENCY', regions: [NATIONWIDE], age: 1.5, term: 3 },
    { type: 'ONLINE_MICROLENDING', regions: ['310000'], age: 4 },
    { type: 'PAYMENT', regions: ['310000'], age: 8, term: 5, revoked: true },
  ],
};

interface ProductSpec {
  category: ProductCategory;
  name: string;
  risk: RiskLevel;
  issuer: InstitutionKey;
  distributor: InstitutionKey;
  min: string;
  status?: ProductStatus;
  /** Private funds and WMP: qualified investors only. */
  offering?: 'PRIVATE';
  /** Investment-type insurance (投连险, 万能险). */
  investmentLinked?: true;
}

// Most are ONLINE and sold by a licensed distributor; a few are not (the rural bank's fund-sales
// licence is revoked, the platform holds no wealth-management licence, Yunqi's insurance agency
// licence has lapsed) so that suitability and licence checks have cases to catch.
const PRODUCTS: readonly ProductSpec[] = [
  { category: 'DEPOSIT', name: '东岳银行三个月整存整取定期存款', risk: 'R1', issuer: 'dongyue', distributor: 'dongyue', min: '50.00' },
  { category: 'DEPOSIT', name: '东岳银行三年期大额存单', risk: 'R1', issuer: 'dongyue', distributor: 'dongyue', min: '200000.00' },
  { category: 'DEPOSIT', name: '云栖银行七天通知存款', risk: 'R1', issuer: 'yunqi', distributor: 'yunqi', min: '50000.00' },
  { category: 'DEPOSIT', name: '澄江农商银行一年期整存整取定期存款', risk: 'R1', issuer: 'chengjiang', distributor: 'chengjiang', min: '50.00' },
  { category: 'DEPOSIT', name: '云栖银行智能定期存款', risk: 'R1', issuer: 'yunqi', distributor: 'yunqi', min: '1000.00', status: 'SUSPENDED' },
  { category: 'WEALTH_MANAGEMENT', name: '东岳理财天天利现金管理类理财产品', risk: 'R1', issuer: 'dongyueWm', distributor: 'dongyue', min: '1.00' },
  { category: 'WEALTH_MANAGEMENT', name: '东岳理财稳享纯债六个月持有期理财产品', risk: 'R2', issuer: 'dongyueWm', distributor: 'dongyue', min: '1.00' },
  { category: 'WEALTH_MANAGEMENT', name: '东岳理财鑫享固收增强一年定开理财产品', risk: 'R2', issuer: 'dongyueWm', distributor: 'dongyueWm', min: '1.00' },
  { category: 'WEALTH_MANAGEMENT', name: '云栖理财臻选多资产混合类理财产品', risk: 'R3', issuer: 'yunqiWm', distributor: 'yunqi', min: '1.00' },
  { category: 'WEALTH_MANAGEMENT', name: '云栖理财权益精选理财产品', risk: 'R4', issuer: 'yunqiWm', distributor: 'yunqiWm', min: '1.00' },
  { category: 'WEALTH_MANAGEMENT', name: '东岳理财私享家族系列私募理财产品', risk: 'R5', issuer: 'dongyueWm', distributor: 'dongyue', min: '1000000.00', offering: 'PRIVATE' },
  { category: 'WEALTH_MANAGEMENT', name: '云栖理财悦享稳健九十天持有期理财产品', risk: 'R2', issuer: 'yunqiWm', distributor: 'platform', min: '1.00', status: 'SUSPENDED' },
  { category: 'WEALTH_MANAGEMENT', name: '东岳理财双月盈理财产品', risk: 'R2', issuer: 'dongyueWm', distributor: 'dongyue', min: '1.00', status: 'TERMINATED' },
  { category: 'FUND', name: '青禾货币市场基金A类', risk: 'R1', issuer: 'qinghe', distributor: 'platform', min: '1.00' },
  { category: 'FUND', name: '青禾纯债债券型证券投资基金A类', risk: 'R2', issuer: 'qinghe', distributor: 'platform', min: '10.00' },
  { category: 'FUND', name: '青禾稳健增利债券型证券投资基金C类', risk: 'R2', issuer: 'qinghe', distributor: 'dongyue', min: '10.00' },
  { category: 'FUND', name: '远山价值精选混合型证券投资基金', risk: 'R3', issuer: 'yuanshan', distributor: 'changzhou', min: '10.00' },
  { category: 'FUND', name: '青禾红利低波交易型开放式指数基金联接基金', risk: 'R3', issuer: 'qinghe', distributor: 'dongyue', min: '10.00' },
  { category: 'FUND', name: '远山中证500指数增强型证券投资基金', risk: 'R4', issuer: 'yuanshan', distributor: 'platform', min: '10.00' },
  { category: 'FUND', name: '远山新能源产业股票型证券投资基金', risk: 'R4', issuer: 'yuanshan', distributor: 'yunqi', min: '10.00' },
  { category: 'FUND', name: '青禾全球科技股票型证券投资基金（QDII）', risk: 'R4', issuer: 'qinghe', distributor: 'qinghe', min: '100.00' },
  { category: 'FUND', name: '远山恒生科技指数型证券投资基金（QDII-LOF）', risk: 'R5', issuer: 'yuanshan', distributor: 'platform', min: '10.00' },
  { category: 'FUND', name: '远山量化对冲一号私募证券投资基金', risk: 'R5', issuer: 'yuanshan', distributor: 'changzhou', min: '1000000.00', offering: 'PRIVATE' },
  { category: 'FUND', name: '远山双债增强债券型证券投资基金', risk: 'R3', issuer: 'yuanshan', distributor: 'chengjiang', min: '10.00' },
  { category: 'FUND', name: '青禾医药健康混合型证券投资基金', risk: 'R4', issuer: 'qinghe', distributor: 'platform', min: '10.00', status: 'DRAFT' },
  { category: 'FUND', name: '青禾消费升级灵活配置混合型证券投资基金', risk: 'R3', issuer: 'qinghe', distributor: 'platform', min: '10.00', status: 'IN_REVIEW' },
  { category: 'INSURANCE', name: '安和人寿鑫福年年年金保险', risk: 'R2', issuer: 'anhe', distributor: 'dongyue', min: '10000.00' },
  { category: 'INSURANCE', name: '安和人寿智盈万能型终身寿险', risk: 'R2', issuer: 'anhe', distributor: 'platform', min: '1000.00', investmentLinked: true },
  { category: 'INSURANCE', name: '安和人寿进取投资连结保险', risk: 'R4', issuer: 'anhe', distributor: 'dongyue', min: '10000.00', investmentLinked: true },
  { category: 'INSURANCE', name: '鸿泽财险个人账户资金安全保险', risk: 'R1', issuer: 'hongze', distributor: 'platform', min: '5.00' },
  { category: 'INSURANCE', name: '鸿泽财险百万医疗保险', risk: 'R1', issuer: 'hongze', distributor: 'hongze', min: '199.00' },
  { category: 'INSURANCE', name: '安和人寿福满堂两全保险（分红型）', risk: 'R2', issuer: 'anhe', distributor: 'yunqi', min: '3000.00' },
  { category: 'INSURANCE', name: '安和人寿康宁重大疾病保险', risk: 'R1', issuer: 'anhe', distributor: 'anhe', min: '500.00', status: 'TERMINATED' },
  { category: 'LOAN', name: '禾润消费金融随借随还消费贷', risk: 'R2', issuer: 'herun', distributor: 'herun', min: '500.00' },
  { category: 'LOAN', name: '金途小额信用贷', risk: 'R2', issuer: 'platform', distributor: 'platform', min: '500.00' },
  { category: 'LOAN', name: '东岳银行e抵快贷', risk: 'R3', issuer: 'dongyue', distributor: 'dongyue', min: '10000.00' },
  { category: 'LOAN', name: '禾润消费金融家装分期贷', risk: 'R2', issuer: 'herun', distributor: 'herun', min: '3000.00', status: 'SUSPENDED' },
  { category: 'PAYMENT', name: '银杏支付快捷支付', risk: 'R1', issuer: 'yinxing', distributor: 'yinxing', min: '0.01' },
  { category: 'PAYMENT', name: '银杏钱包余额账户', risk: 'R1', issuer: 'yinxing', distributor: 'yinxing', min: '0.01' },
  { category: 'PAYMENT', name: '金途收银台聚合支付', risk: 'R1', issuer: 'platform', distributor: 'platform', min: '0.01', status: 'TERMINATED' },
  { category: 'PAYMENT', name: '银杏跨境收款', risk: 'R2', issuer: 'yinxing', distributor: 'yinxing', min: '100.00', status: 'DRAFT' },
];

const CODE_PREFIX: Readonly<Record<ProductCategory, string>> = {
  DEPOSIT: 'DEP',
  WEALTH_MANAGEMENT: 'WMP',
  FUND: 'FND',
  INSURANCE: 'INS',
  LOAN: 'LON',
  PAYMENT: 'PAY',
};

/** Categories a customer buys into; loans and payment services are offered, not bought. */
const INVESTABLE = new Set<ProductCategory>(['DEPOSIT', 'WEALTH_MANAGEMENT', 'FUND', 'INSURANCE']);

const RISK_NAMES: Readonly<Record<RiskLevel, string>> = {
  R1: '低风险',
  R2: '中低风险',
  R3: '中风险',
  R4: '中高风险',
  R5: '高风险',
};

const TOLERANCE_NAMES: Readonly<Record<Tolerance, string>> = {
  C1: '保守型',
  C2: '谨慎型',
  C3: '稳健型',
  C4: '积极型',
  C5: '激进型',
};

/** The licence a distributor needs to sell a product of this category, if any. */
function requiredLicence(category: ProductCategory, distributor: InstitutionKind): LicenceType | null {
  switch (category) {
    case 'DEPOSIT':
      return null;
    case 'WEALTH_MANAGEMENT':
      return 'WEALTH_MANAGEMENT';
    case 'FUND':
      return 'FUND_SALES';
    case 'INSURANCE':
      return 'INSURANCE_AGENCY';
    case 'PAYMENT':
      return 'PAYMENT';
    case 'LOAN':
      if (distributor === 'BANK') return null;
      return distributor === 'CONSUMER_FINANCE_CO' ? 'CONSUMER_FINANCE' : 'ONLINE_MICROLENDING';
  }
}

function buildReference(rng: Random, now: number): ReferenceData {
  const institutions: InstitutionRow[] = INSTITUTIONS.map((spec, k) => ({
    id: k + 1,
    name: spec.name,
    kind: spec.kind,
    created_at: iso(now - rng.int(8 * 365, 25 * 365) * DAY - rng.int(0, DAY - 1)),
  }));

  const licences: LicenceRow[] = [];
  INSTITUTIONS.forEach((spec, k) => {
    for (const licence of LICENCES[spec.key]) {
      const from = now - Math.round(licence.age * 365) * DAY - rng.int(0, 20) * DAY;
      const validFrom = isoDate(from);
      licences.push({
        institution_id: k + 1,
        type: licence.type,
        number: licenceNumber(licence.type, licences.length + 1, validFrom, rng),
        valid_from: validFrom,
        valid_to: licence.term === undefined ? null : isoDate(from + Math.round(licence.term * 365) * DAY - DAY),
        regions: licence.regions,
        revoked: licence.revoked ?? false,
      });
    }
  });

  const products: ProductRow[] = [];
  const disclosures: DisclosureRow[] = [];
  const perCategory = new Map<ProductCategory, number>();
  for (const spec of PRODUCTS) {
    const id = products.length + 1;
    const serial = (perCategory.get(spec.category) ?? 0) + 1;
    perCategory.set(spec.category, serial);
    const status = spec.status ?? 'ONLINE';
    const recent = status === 'DRAFT' || status === 'IN_REVIEW';
    // products that have ever been sold are older than the one-year ledger history
    const created = now - (recent ? rng.int(5, 60) : rng.int(400, 1500)) * DAY - rng.int(0, DAY - 1);
    const product: ProductRow = {
      id,
      code: `${CODE_PREFIX[spec.category]}-${String(serial).padStart(4, '0')}`,
      name: spec.name,
      category: spec.category,
      risk_level: spec.risk,
      status,
      offering: spec.offering ?? 'PUBLIC',
      investment_linked: spec.investmentLinked ?? false,
      issuer_id: institutionId(spec.issuer),
      distributor_id: institutionId(spec.distributor),
      currency: CURRENCY,
      min_amount: spec.min,
      created_at: iso(created),
    };
    products.push(product);
    disclosures.push(...productDisclosures(product, spec, created, now, disclosures.length + 1, rng));
  }

  const accounts: AccountRow[] = [
    {
      id: CLEARING_ACCOUNT_ID,
      kind: 'SYSTEM',
      customer_id: null,
      product_id: null,
      name: 'clearing',
      currency: CURRENCY,
      card_number: null,
      allow_negative: true,
      created_at: iso(now - 5 * 365 * DAY),
    },
    ...products.map((product): AccountRow => ({
      id: productAccountId(product.id),
      kind: 'PRODUCT',
      customer_id: null,
      product_id: product.id,
      name: `${product.code}募集资金专户`,
      currency: CURRENCY,
      card_number: null,
      allow_negative: false,
      created_at: product.created_at,
    })),
  ];

  return { institutions, licences, products, disclosures, accounts };
}

function institutionId(key: InstitutionKey): number {
  return INSTITUTIONS.findIndex((spec) => spec.key === key) + 1;
}

function productAccountId(productId: number): number {
  return CLEARING_ACCOUNT_ID + productId;
}

function licenceNumber(type: LicenceType, serial: number, validFrom: string, rng: Random): string {
  const year = validFrom.slice(0, 4);
  const tail = `${digits(rng, 4)}${String(serial).padStart(3, '0')}`;
  switch (type) {
    case 'PAYMENT':
      return `Z20${digits(rng, 4)}${tail}`;
    case 'FUND_SALES':
      return `JJXS-${year}-${tail}`;
    case 'WEALTH_MANAGEMENT':
      return `Z${digits(rng, 4)}H${digits(rng, 2)}${tail}`;
    case 'INSURANCE_AGENCY':
      return `BXJY${year}${tail}`;
    case 'ONLINE_MICROLENDING':
      return `WLXD-${year}-${tail}`;
    case 'CONSUMER_FINANCE':
      return `N0003H${digits(rng, 2)}${tail}`;
    case 'BANKING':
      return `B${digits(rng, 4)}H${tail}`;
    case 'FUND_MANAGEMENT':
      return `JJGL-${year}-${tail}`;
    case 'INSURANCE_UNDERWRITING':
      return `BXYW${year}${tail}`;
  }
}

function digits(rng: Random, count: number): string {
  let text = '';
  for (let i = 0; i < count; i++) text += String(rng.int(0, 9));
  return text;
}

// ---------------------------------------------------------------------------------------------
// Disclosures

const ASSETS: Readonly<Record<RiskLevel, string>> = {
  R1: '银行存款、同业存单及剩余期限在397天以内的债券等货币市场工具',
  R2: '国债、政策性金融债及AA+级以上信用债等固定收益类资产',
  R3: '债券等固定收益类资产，并以不超过30%的比例投资股票等权益类资产',
  R4: '股票等权益类资产，权益类资产占比不低于80%',
  R5: '股票、股指期货及期权等，可运用杠杆及衍生品策略',
};

const WORST_CASE: Readonly<Record<RiskLevel, string>> = {
  R1: '极少部分收益',
  R2: '部分收益，本金损失的可能性较小',
  R3: '部分本金',
  R4: '较大比例的本金',
  R5: '全部本金',
};

const CATEGORY_WARNINGS: Readonly<Record<ProductCategory, string>> = {
  DEPOSIT:
    '本产品为存款产品，依照《存款保险条例》，同一存款人在同一家投保机构所有存款账户的本金和利息合并计算的最高偿付限额为人民币50万元。',
  WEALTH_MANAGEMENT: '理财非存款，产品有风险，投资须谨慎。业绩比较基准不是预期收益率，不代表产品的未来表现和实际收益。',
  FUND: '基金有风险，投资须谨慎。基金的过往业绩并不预示其未来表现，基金管理人管理的其他基金的业绩不构成本基金业绩表现的保证。',
  INSURANCE: '保险产品不同于银行存款，犹豫期后解除合同可能会遭受一定损失，分红及万能账户收益具有不确定性。',
  LOAN: '借款须按期足额还款，逾期将产生罚息并影响个人征信记录，请理性借贷、量入为出。',
  PAYMENT: '请妥善保管支付密码和短信验证码，切勿向任何人透露，谨防电信网络诈骗。',
};

function productDisclosures(
  product: ProductRow,
  spec: ProductSpec,
  created: number,
  now: number,
  firstId: number,
  rng: Random,
): DisclosureRow[] {
  const rows: DisclosureRow[] = [];
  const publish = (kind: DisclosureKind, title: string, body: string, at: number, version: number): void => {
    rows.push({ id: firstId + rows.length, product_id: product.id, kind, version, title, body, published_at: iso(at) });
  };
  const first = created + rng.int(1, 7) * DAY;
  const issuer = INSTITUTIONS.find((s) => s.key === spec.issuer)!;
  const distributor = INSTITUTIONS.find((s) => s.key === spec.distributor)!;
  // a later revision, when the product has been around long enough for one
  const revision = (): number | null =>
    now - 7 * DAY - first > 60 * DAY && rng.chance(0.35) ? rng.int(first + 30 * DAY, now - 7 * DAY) : null;

  publish('PROSPECTUS', `${product.name}${prospectusTitle(product.category)}`, prospectusBody(product, issuer, distributor), first, 1);
  const prospectus2 = revision();
  if (prospectus2 !== null) {
    publish(
      'PROSPECTUS',
      `${product.name}${prospectusTitle(product.category)}（${isoDate(prospectus2).slice(0, 4)}年更新）`,
      `${prospectusBody(product, issuer, distributor)}本次更新根据最新监管规定修订了信息披露及投资者权益保护等相关章节。`,
      prospectus2,
      2,
    );
  }

  publish('RISK_DISCLOSURE', `${product.name}风险揭示书`, riskBody(product), first, 1);
  const risk2 = revision();
  if (risk2 !== null) {
    publish(
      'RISK_DISCLOSURE',
      `${product.name}风险揭示书（修订版）`,
      `${riskBody(product)}本修订版补充了极端市场情况下的流动性风险提示。`,
      risk2,
      2,
    );
  }

  if (product.category === 'FUND') {
    publish('FEE_SCHEDULE', `${product.name}费率结构说明`, feeBody(product), first, 1);
  }
  if ((product.category === 'FUND' || product.category === 'WEALTH_MANAGEMENT') && product.status === 'ONLINE') {
    const at = now - rng.int(8, 80) * DAY;
    publish('PERIODIC_REPORT', `${product.name}${quarterBefore(at)}报告`, periodicBody(product, rng), at, 1);
  }
  return rows;
}

function prospectusTitle(category: ProductCategory): string {
  switch (category) {
    case 'FUND':
      return '招募说明书';
    case 'INSURANCE':
      return '条款及产品说明书';
    case 'LOAN':
      return '产品说明及借款须知';
    case 'PAYMENT':
      return '服务协议';
    default:
      return '产品说明书';
  }
}

function prospectusBody(product: ProductRow, issuer: InstitutionSpec, distributor: InstitutionSpec): string {
  const min = `${formatYuan(parseCents(product.min_amount)).replace(/\.00$/, '')}元`;
  const seller = issuer.key === distributor.key ? `由${issuer.short}直接销售` : `由${distributor.short}代理销售`;
  switch (product.category) {
    case 'DEPOSIT':
      return `${product.name}由${issuer.name}发行，起存金额${min}，按存入日挂牌利率计息，到期自动转存。提前支取的部分按支取日活期存款利率计息。`;
    case 'WEALTH_MANAGEMENT':
      return `${product.name}由${issuer.name}发行管理，${seller}。本产品为非保本浮动收益型理财产品，主要投资于${ASSETS[product.risk_level]}。产品起购金额${min}，按产品说明书约定的开放日办理申购和赎回。`;
    case 'FUND':
      if (Number(product.min_amount) >= 1_000_000) {
        return `${product.name}由${issuer.name}担任管理人，${seller}，已在中国证券投资基金业协会备案。本基金仅向合格投资者募集，单个投资者认购金额不低于${min}，主要投资于${ASSETS[product.risk_level]}。`;
      }
      return `${product.name}依照《中华人民共和国证券投资基金法》募集，经中国证监会注册，基金管理人为${issuer.name}，${seller}。本基金主要投资于${ASSETS[product.risk_level]}，最低申购金额${min}。`;
    case 'INSURANCE':
      return `${product.name}由${issuer.name}承保，${seller}。投保人自签收保险合同之日起享有15日犹豫期，犹豫期内解除合同的，保险人退还全部保险费。保险费起点${min}。`;
    case 'LOAN':
      return `${product.name}由${issuer.name}提供，借款年化利率（单利）为7.20%至23.90%，按日计息，可随时提前还款，单笔借款金额不低于${min}。借款仅限个人消费，不得用于购房及投资证券、期货等。`;
    case 'PAYMENT':
      return `${product.name}由${issuer.name}依据《非银行支付机构监督管理条例》提供。客户备付金全额交存中国人民银行，单笔及日累计支付限额以页面提示为准。`;
  }
}

function riskBody(product: ProductRow): string {
  const level = product.risk_level;
  const tolerance = `C${level.slice(1)}` as Tolerance;
  return (
    `本产品风险等级为${level}（${RISK_NAMES[level]}），适合风险承受能力为${tolerance}（${TOLERANCE_NAMES[tolerance]}）及以上的投资者。` +
    `${CATEGORY_WARNINGS[product.category]}在最不利的情况下，您可能损失${WORST_CASE[level]}。` +
    '请您在充分阅读产品说明书、了解产品风险特征的基础上，结合自身风险承受能力审慎决策。'
  );
}

function feeBody(product: ProductRow): string {
  if (product.risk_level === 'R1') {
    return '本基金不收取申购费和赎回费。管理费年费率0.25%，托管费年费率0.08%，销售服务费年费率0.25%，按前一日基金资产净值每日计提。';
  }
  if (Number(product.min_amount) >= 1_000_000) {
    return '认购费率1.00%，管理费年费率1.50%，托管费年费率0.05%。业绩报酬按超过计提基准部分的20%计提，于分红、赎回或清算时收取。';
  }
  const [buy, manage] = product.risk_level === 'R2' ? ['0.80%', '0.30%'] : ['1.50%', '1.20%'];
  return (
    `申购金额低于100万元的，申购费率${buy}；100万元（含）至500万元的，申购费率0.60%；500万元（含）以上的，每笔1,000元。` +
    `持有期少于7日的，赎回费率1.50%，全额计入基金财产；持有7日（含）以上不满1年的，赎回费率0.50%。管理费年费率${manage}，托管费年费率0.20%。`
  );
}

function periodicBody(product: ProductRow, rng: Random): string {
  const share = rng.int(60, 95);
  const growth = (rng.int(-450, 650) / 100).toFixed(2);
  return `报告期内，${product.name}运作合规，未发生影响投资者权益的重大事项。报告期末，产品主要投资于${ASSETS[product.risk_level]}，相关资产占产品总资产的${share}%。报告期内产品份额净值增长率为${growth}%。`;
}

/** '2025年第1季度' for the calendar quarter before the one containing `at`. */
function quarterBefore(at: number): string {
  const date = new Date(at);
  let quarter = Math.floor(date.getUTCMonth() / 3);
  let year = date.getUTCFullYear();
  if (quarter === 0) {
    quarter = 4;
    year -= 1;
  }
  return `${year}年第${quarter}季度`;
}

// ---------------------------------------------------------------------------------------------
// People

// Real GB/T 2260 county-level codes across provinces; the first two digits are the province.
const COUNTIES: readonly string[] = [
  '110105', // 北京市朝阳区
  '110108', // 北京市海淀区
  '110102', // 北京市西城区
  '120101', // 天津市和平区
  '130102', // 石家庄市长安区
  '140105', // 太原市小店区
  '210102', // 沈阳市和平区
  '230103', // 哈尔滨市南岗区
  '310104', // 上海市徐汇区
  '310105', // 上海市长宁区
  '310115', // 上海市浦东新区
  '320106', // 南京市鼓楼区
  '320508', // 苏州市姑苏区
  '320583', // 昆山市
  '330106', // 杭州市西湖区
  '330203', // 宁波市海曙区
  '330782', // 义乌市
  '340104', // 合肥市蜀山区
  '350203', // 厦门市思明区
  '360102', // 南昌市东湖区
  '370102', // 济南市历下区
  '370202', // 青岛市市南区
  '410105', // 郑州市金水区
  '420106', // 武汉市武昌区
  '430104', // 长沙市岳麓区
  '440106', // 广州市天河区
  '440304', // 深圳市福田区
  '440305', // 深圳市南山区
  '450103', // 南宁市青秀区
  '500103', // 重庆市渝中区
  '510107', // 成都市武侯区
  '520102', // 贵阳市南明区
  '530102', // 昆明市五华区
  '610113', // 西安市雁塔区
  '620102', // 兰州市城关区
];

// Surnames with their approximate share of the population (per cent) and pinyin for e-mail names.
const SURNAMES = weightedTable<readonly [string, string]>(
  (
    [
      ['王', 'wang', 7.1], ['李', 'li', 7.0], ['张', 'zhang', 6.7], ['刘', 'liu', 5.4], ['陈', 'chen', 4.6],
      ['杨', 'yang', 3.1], ['赵', 'zhao', 2.3], ['黄', 'huang', 2.2], ['周', 'zhou', 2.1], ['吴', 'wu', 2.0],
      ['徐', 'xu', 1.7], ['孙', 'sun', 1.5], ['胡', 'hu', 1.3], ['朱', 'zhu', 1.3], ['高', 'gao', 1.2],
      ['林', 'lin', 1.2], ['何', 'he', 1.2], ['郭', 'guo', 1.1], ['马', 'ma', 1.1], ['罗', 'luo', 0.9],
      ['梁', 'liang', 0.8], ['宋', 'song', 0.7], ['郑', 'zheng', 0.7], ['谢', 'xie', 0.6], ['韩', 'han', 0.6],
      ['唐', 'tang', 0.6], ['冯', 'feng', 0.55], ['于', 'yu', 0.5], ['董', 'dong', 0.5], ['肖', 'xiao', 0.45],
      ['程', 'cheng', 0.45], ['曹', 'cao', 0.45], ['袁', 'yuan', 0.45], ['邓', 'deng', 0.45], ['许', 'xu', 0.45],
      ['傅', 'fu', 0.4], ['沈', 'shen', 0.4], ['曾', 'zeng', 0.4], ['彭', 'peng', 0.4], ['吕', 'lv', 0.4],
      ['苏', 'su', 0.35], ['卢', 'lu', 0.35], ['蒋', 'jiang', 0.35], ['蔡', 'cai', 0.35], ['贾', 'jia', 0.3],
      ['丁', 'ding', 0.3], ['魏', 'wei', 0.3], ['薛', 'xue', 0.3], ['叶', 'ye', 0.3], ['阎', 'yan', 0.25],
      ['余', 'yu', 0.3], ['潘', 'pan', 0.3], ['杜', 'du', 0.3], ['戴', 'dai', 0.25], ['夏', 'xia', 0.25],
      ['钟', 'zhong', 0.25], ['汪', 'wang', 0.25], ['田', 'tian', 0.25], ['任', 'ren', 0.25], ['姜', 'jiang', 0.25],
      ['范', 'fan', 0.25], ['方', 'fang', 0.25], ['石', 'shi', 0.2], ['姚', 'yao', 0.2], ['谭', 'tan', 0.2],
      ['廖', 'liao', 0.2], ['邹', 'zou', 0.2], ['熊', 'xiong', 0.2], ['金', 'jin', 0.2], ['陆', 'lu', 0.2],
      ['郝', 'hao', 0.2], ['孔', 'kong', 0.2], ['白', 'bai', 0.2], ['崔', 'cui', 0.2], ['康', 'kang', 0.15],
      ['毛', 'mao', 0.15], ['邱', 'qiu', 0.15], ['秦', 'qin', 0.15], ['江', 'jiang', 0.15], ['史', 'shi', 0.15],
      ['顾', 'gu', 0.15], ['侯', 'hou', 0.15], ['邵', 'shao', 0.15], ['孟', 'meng', 0.15], ['龙', 'long', 0.15],
      ['万', 'wan', 0.15], ['段', 'duan', 0.15], ['雷', 'lei', 0.15], ['钱', 'qian', 0.15], ['汤', 'tang', 0.15],
      ['尹', 'yin', 0.15], ['黎', 'li', 0.1], ['易', 'yi', 0.1], ['常', 'chang', 0.1], ['武', 'wu', 0.1],
      ['乔', 'qiao', 0.1], ['贺', 'he', 0.1], ['赖', 'lai', 0.1], ['龚', 'gong', 0.1], ['文', 'wen', 0.1],
      ['欧阳', 'ouyang', 0.03], ['司马', 'sima', 0.01], ['上官', 'shangguan', 0.01], ['诸葛', 'zhuge', 0.005],
    ] as const
  ).map(([surname, pinyin, share]) => [[surname, pinyin] as const, share] as const),
);

// Given names follow fashion: what parents chose in the 1950s differs from the 2000s.
type Era = 'before1970' | 'before1990' | 'later';
const GIVEN_NAMES: Readonly<Record<'male' | 'female', Readonly<Record<Era, readonly string[]>>>> = {
  male: {
    before1970: ['建国', '建华', '国强', '志强', '建军', '振华', '国庆', '卫东', '德明', '永明', '长青', '福生', '树林', '宝山', '德胜', '明', '军', '强', '勇', '刚', '平', '斌', '华', '海', '林', '忠', '杰', '文', '峰', '建平'],
    before1990: ['伟', '磊', '涛', '鹏', '超', '辉', '杰', '斌', '浩', '飞', '亮', '波', '宁', '鑫', '晓东', '海涛', '志刚', '立新', '春雷', '建伟', '俊', '宏', '永刚', '文博', '晓峰', '海波', '明辉', '志勇', '凯', '东'],
    later: ['浩然', '子轩', '宇轩', '俊杰', '浩宇', '梓豪', '子豪', '一鸣', '宇航', '博文', '皓轩', '天佑', '嘉豪', '文轩', '睿', '宇', '鹏飞', '晨', '昊', '轩', '思远', '子墨', '俊熙', '明轩', '铭', '奕辰', '家乐', '锦程', '泽宇', '煜'],
  },
  female: {
    before1970: ['秀英', '桂英', '秀兰', '玉兰', '桂兰', '秀珍', '凤英', '玉珍', '淑珍', '丽华', '淑芬', '美兰', '秀云', '玉梅', '红梅', '芳', '英', '兰', '珍', '琴', '霞', '梅', '红', '丽', '敏', '静', '萍', '燕', '慧', '素珍'],
    before1990: ['丽', '静', '敏', '艳', '娟', '芳', '燕', '霞', '丽娟', '晓燕', '海燕', '雪梅', '婷', '颖', '琳', '洁', '倩', '晶', '丹', '莉', '红霞', '玉洁', '小红', '慧敏', '晓丽', '春燕', '娜', '艳红', '亚楠', '婧'],
    later: ['欣怡', '梓涵', '诗涵', '雨涵', '思琪', '可馨', '子涵', '梦瑶', '佳怡', '一诺', '雨彤', '紫涵', '思雨', '语嫣', '心怡', '梓萱', '佳琪', '若曦', '晨曦', '雅琪', '婉清', '瑾', '悦', '妍', '琪', '萱', '诗琪', '依诺', '梦琪', '欣妍'],
  },
};

// Real mobile number segments of the three carriers.
const PHONE_PREFIXES = [
  '130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152', '155', '156',
  '158', '159', '166', '173', '177', '180', '181', '182', '186', '187', '188', '189', '199',
] as const;

const EMAIL_DOMAINS = weightedTable([
  ['qq.com', 40], ['163.com', 22], ['126.com', 9], ['foxmail.com', 5], ['sina.com', 5],
  ['139.com', 5], ['outlook.com', 6], ['aliyun.com', 4], ['gmail.com', 4],
] as const);

// Real debit-card BINs; China Merchants Bank cards are 16 digits, the others 19.
const CARD_BINS = weightedTable([
  [{ bin: '622848', length: 19, bank: '农业银行' }, 20],
  [{ bin: '621700', length: 19, bank: '建设银行' }, 14],
  [{ bin: '622700', length: 19, bank: '建设银行' }, 6],
  [{ bin: '622202', length: 19, bank: '工商银行' }, 16],
  [{ bin: '621226', length: 19, bank: '工商银行' }, 6],
  [{ bin: '621483', length: 16, bank: '招商银行' }, 10],
  [{ bin: '622588', length: 16, bank: '招商银行' }, 6],
  [{ bin: '622262', length: 19, bank: '交通银行' }, 8],
] as const);

const TOLERANCES_ORDINARY = weightedTable<Tolerance>([['C1', 8], ['C2', 30], ['C3', 37], ['C4', 17], ['C5', 8]]);
const TOLERANCES_PROFESSIONAL = weightedTable<Tolerance>([['C3', 15], ['C4', 45], ['C5', 40]]);
/** Questionnaire scores (10 answers of 0–4 points) for each tolerance category. */
const SCORE_BANDS: Readonly<Record<Tolerance, readonly [number, number]>> = {
  C1: [0, 8],
  C2: [9, 16],
  C3: [17, 24],
  C4: [25, 32],
  C5: [33, 40],
};
const PURCHASE_COUNTS = weightedTable([[0, 15], [1, 30], [2, 28], [3, 17], [4, 10]] as const);
const POPULARITY: Readonly<Record<RiskLevel, number>> = { R1: 6, R2: 5, R3: 3, R4: 2, R5: 1 };

// Identity numbers are unique by construction: customer i gets the (county, sequence) slot
// i mod ID_SLOTS, scrambled by a bijection, and a birth date whose day number is congruent to
// floor(i / ID_SLOTS) modulo DATE_CLASSES, so two customers sharing a slot never share a birthday.
const ID_SLOTS = COUNTIES.length * 999;
const DATE_CLASSES = 64;
/** The most customers `generateDemo` can give unique identity numbers. */
export const MAX_DEMO_CUSTOMERS = ID_SLOTS * DATE_CLASSES;
const PHONE_SPACE = PHONE_PREFIXES.length * 100_000_000;
const CARD_SPACE = 1_000_000_000;
const QQ_SPACE = 900_000_000;
const BIRTH_FIRST = Date.UTC(1945, 0, 1);
const BIRTH_LAST = Date.UTC(2006, 11, 31);
/** Customers signed up over this many years, the last one a month before `now`. */
const SIGN_UP_YEARS = 3;

// ---------------------------------------------------------------------------------------------
// Generation

/** Generates every row for `options.customers` customers in memory (fine for tests and small databases). */
export function generateDemo(options: DemoOptions): DemoData {
  const generator = demoGenerator(options);
  const { accounts, ...reference } = generator.reference;
  const data: DemoData = { ...reference, ...emptyBatch() };
  data.accounts.push(...accounts);
  for (const batch of generator.batches(10_000)) {
    for (const key of Object.keys(batch) as (keyof CustomerBatch)[]) {
      for (const row of batch[key]) (data[key] as unknown[]).push(row);
    }
  }
  return data;
}

/**
 * The reference rows, and a generator of customer batches for streaming into a database. Customer
 * `i` always gets id `i + 1`; the batch size only decides where the stream pauses.
 */
export function demoGenerator(options: DemoOptions): DemoGenerator {
  const total = options.customers;
  if (!Number.isSafeInteger(total) || total < 0 || total > MAX_DEMO_CUSTOMERS) {
    throw new RangeError(`customers must be an integer from 0 to ${MAX_DEMO_CUSTOMERS}`);
  }
  const now = (options.now ?? startOfUtcDay(new Date())).getTime();
  const reference = buildReference(createRandom(`${options.seed}/reference`), now);
  const context = customerContext(reference, options.seed, now, total);
  let started = false;
  return {
    reference,
    *batches(size: number) {
      if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('batch size must be a positive integer');
      if (started) throw new Error('demo customers can be generated only once per generator');
      started = true;
      for (let first = 0; first < total; first += size) {
        const batch = emptyBatch();
        const end = Math.min(first + size, total);
        for (let index = first; index < end; index++) generateCustomer(index, context, batch);
        yield batch;
      }
    },
  };
}

function emptyBatch(): CustomerBatch {
  return {
    customers: [],
    riskAssessments: [],
    accounts: [],
    transactions: [],
    postings: [],
    positions: [],
    acknowledgements: [],
    alerts: [],
  };
}

/** A product as the history generator sees it: when and to whom it may be sold. */
interface Offer {
  productId: number;
  accountId: number;
  category: ProductCategory;
  risk: number;
  minCents: number;
  /** Private placements: professional investors only. */
  qualifiedOnly: boolean;
  /** When and where it may be sold: the distributor's licences, or its home provinces if it needs none. */
  windows: { from: number; to: number; regions: readonly string[] }[];
  /** Risk disclosure versions, oldest first. */
  riskDisclosures: { id: number; publishedAt: number }[];
  weight: number;
}

interface CustomerContext {
  rng: Random;
  now: number;
  offers: Offer[];
  servicing: Map<string, WeightedTable<number>>;
  total: number;
  idMultiplier: number;
  idOffset: number;
  phoneMultiplier: number;
  phoneOffset: number;
  cardMultiplier: number;
  cardOffset: number;
  qqMultiplier: number;
  qqOffset: number;
  /** The first account of each customer generated so far, by customer index: where transfers go. */
  primaryAccount: Float64Array;
  nextAccountId: number;
  nextTransactionId: number;
  cardSerial: number;
}

function customerContext(reference: ReferenceData, seed: string | number, now: number, total: number): CustomerContext {
  const rng = createRandom(`${seed}/customers`);
  if (birthDaysBefore(now - SIGN_UP_YEARS * 365 * DAY) < DATE_CLASSES) {
    throw new RangeError('`now` is too early for adult customers born from 1945');
  }

  const offers: Offer[] = [];
  for (const product of reference.products) {
    if (product.status !== 'ONLINE' || !INVESTABLE.has(product.category)) continue;
    const distributor = INSTITUTIONS[product.distributor_id - 1]!;
    const needed = requiredLicence(product.category, distributor.kind);
    // regional banks may not take deposits from outside their provinces
    const windows =
      needed === null
        ? [{ from: -Infinity, to: Infinity, regions: distributor.services?.provinces ?? [NATIONWIDE] }]
        : reference.licences
            .filter((l) => l.institution_id === product.distributor_id && l.type === needed && !l.revoked)
            .map((l) => ({
              from: Date.parse(l.valid_from),
              to: l.valid_to === null ? Infinity : Date.parse(l.valid_to) + DAY,
              regions: l.regions,
            }));
    const riskDisclosures = reference.disclosures
      .filter((d) => d.product_id === product.id && d.kind === 'RISK_DISCLOSURE')
      .sort((a, b) => a.version - b.version)
      .map((d) => ({ id: d.id, publishedAt: Date.parse(d.published_at) }));
    offers.push({
      productId: product.id,
      accountId: productAccountId(product.id),
      category: product.category,
      risk: Number(product.risk_level.slice(1)),
      minCents: parseCents(product.min_amount),
      qualifiedOnly: parseCents(product.min_amount) >= 1_000_000_00,
      windows,
      riskDisclosures,
      weight: product.category === 'DEPOSIT' ? 3 : POPULARITY[product.risk_level],
    });
  }

  const servicing = new Map<string, WeightedTable<number>>();
  for (const county of COUNTIES) {
    const province = provinceOf(county);
    const entries: [number, number][] = [];
    INSTITUTIONS.forEach((spec, k) => {
      if (spec.services && (!spec.services.provinces || spec.services.provinces.includes(province))) {
        entries.push([k + 1, spec.services.weight]);
      }
    });
    servicing.set(province, weightedTable(entries));
  }

  return {
    rng,
    now,
    offers,
    servicing,
    total,
    idMultiplier: coprime(rng.int(ID_SLOTS >> 2, ID_SLOTS >> 1), ID_SLOTS),
    idOffset: rng.int(0, ID_SLOTS - 1),
    phoneMultiplier: coprime(rng.int(PHONE_SPACE / 4, PHONE_SPACE / 2), PHONE_SPACE),
    phoneOffset: rng.int(0, PHONE_SPACE - 1),
    cardMultiplier: coprime(rng.int(CARD_SPACE / 4, CARD_SPACE / 2), CARD_SPACE),
    cardOffset: rng.int(0, CARD_SPACE - 1),
    qqMultiplier: coprime(rng.int(QQ_SPACE / 4, QQ_SPACE / 2), QQ_SPACE),
    qqOffset: rng.int(0, QQ_SPACE - 1),
    primaryAccount: new Float64Array(total),
    nextAccountId: CLEARING_ACCOUNT_ID + reference.products.length + 1,
    nextTransactionId: 1,
    cardSerial: 0,
  };
}

function generateCustomer(index: number, context: CustomerContext, out: CustomerBatch): void {
  const { rng, now } = context;
  const id = index + 1;
  // ids follow sign-up order, as an identity column would have numbered them
  const signUpStart = now - SIGN_UP_YEARS * 365 * DAY;
  const created = Math.floor(signUpStart + ((index + rng.next()) / context.total) * (now - 30 * DAY - signUpStart));

  // identity: (county, sequence) from the scrambled slot, birth date from the date class
  const slot = (((index % ID_SLOTS) * context.idMultiplier) % ID_SLOTS + context.idOffset) % ID_SLOTS;
  const county = COUNTIES[slot % COUNTIES.length]!;
  const sequence = Math.floor(slot / COUNTIES.length) + 1;
  const dateClass = Math.floor(index / ID_SLOTS);
  const classDays = Math.floor((birthDaysBefore(created) - 1 - dateClass) / DATE_CLASSES) + 1;
  // the mean of two uniforms: most customers are of working age, few are very old or very young
  const birthDay = dateClass + DATE_CLASSES * Math.floor(((rng.next() + rng.next()) / 2) * classDays);
  const birth = BIRTH_FIRST + birthDay * DAY;
  const birthDate = isoDate(birth);
  const first17 = `${county}${birthDate.replaceAll('-', '')}${String(sequence).padStart(3, '0')}`;
  const male = sequence % 2 === 1; // GB 11643: an odd sequence number is a man

  const [surname, pinyin] = rng.weighted(SURNAMES);
  const year = new Date(birth).getUTCFullYear();
  const era: Era = year < 1970 ? 'before1970' : year < 1990 ? 'before1990' : 'later';
  const name = surname + rng.pick(GIVEN_NAMES[male ? 'male' : 'female'][era]);

  const phoneNumber = (index * context.phoneMultiplier + context.phoneOffset) % PHONE_SPACE;
  const phone = PHONE_PREFIXES[Math.floor(phoneNumber / 100_000_000)]! + String(phoneNumber % 100_000_000).padStart(8, '0');

  let email: string | null = null;
  if (rng.chance(0.7)) {
    const domain = rng.weighted(EMAIL_DOMAINS);
    const unique = ((index % QQ_SPACE) * context.qqMultiplier + context.qqOffset) % QQ_SPACE + 100_000_000;
    email = domain === 'qq.com' || domain === 'foxmail.com' ? `${unique}@${domain}` : `${pinyin}_${unique.toString(36)}@${domain}`;
  }

  const professional = rng.chance(0.05);
  const region = provinceOf(county);
  out.customers.push({
    id,
    institution_id: rng.weighted(context.servicing.get(region)!),
    name,
    id_number: first17 + gb11643CheckChar(first17),
    phone,
    email,
    birth_date: birthDate,
    investor_type: professional ? 'PROFESSIONAL' : 'ORDINARY',
    region,
    created_at: iso(created),
  });

  const assessment = rng.chance(0.85) ? assess(id, professional, created, context, out) : null;

  const accounts: { id: number; balance: number }[] = [];
  const accountCount = rng.chance(0.3) ? 2 : 1;
  for (let k = 0; k < accountCount; k++) {
    const card = cardNumber(context);
    const accountId = context.nextAccountId++;
    out.accounts.push({
      id: accountId,
      kind: 'CUSTOMER',
      customer_id: id,
      product_id: null,
      name: `${card.bank}借记卡`,
      currency: CURRENCY,
      card_number: card.number,
      allow_negative: false,
      created_at: iso(created + k * rng.int(1, 9) * MINUTE),
    });
    accounts.push({ id: accountId, balance: 0 });
  }
  context.primaryAccount[index] = accounts[0]!.id;

  history({ index, id, professional, region, created, assessment, accounts }, context, out);
}

/** How many birth dates from 1945 to 2006 make a customer an adult (18) at `signUp`. */
function birthDaysBefore(signUp: number): number {
  const date = new Date(signUp);
  const last = Math.min(BIRTH_LAST, Date.UTC(date.getUTCFullYear() - 18, date.getUTCMonth(), date.getUTCDate()) - DAY);
  return Math.floor((last - BIRTH_FIRST) / DAY) + 1;
}

function provinceOf(county: string): string {
  return `${county.slice(0, 2)}0000`;
}

/** The validity window of a customer's risk assessment and what it allows. */
interface Assessment {
  from: number;
  to: number;
  /** The highest product risk level (1–5) this customer may buy. */
  maxRisk: number;
}

function assess(customerId: number, professional: boolean, created: number, context: CustomerContext, out: CustomerBatch): Assessment {
  const { rng, now } = context;
  const tolerance = rng.weighted(professional ? TOLERANCES_PROFESSIONAL : TOLERANCES_ORDINARY);
  const lowest = tolerance === 'C1' && rng.chance(0.3);
  const [low, high] = SCORE_BANDS[tolerance];
  const score = rng.int(low, high);
  const answers: number[] = new Array<number>(10).fill(0);
  for (let left = score; left > 0; ) {
    const question = rng.int(0, 9);
    if (answers[question]! < 4) {
      answers[question]! += 1;
      left -= 1;
    }
  }
  // taken at sign-up; most of those whose answers have since expired took it again early this year
  const yearAgo = now - 365 * DAY;
  const assessed = Math.floor(
    created < yearAgo && rng.chance(0.65)
      ? rng.between(yearAgo, yearAgo + 60 * DAY)
      : created + rng.between(5 * MINUTE, 2 * DAY),
  );
  const expires = assessed + 365 * DAY;
  out.riskAssessments.push({
    customer_id: customerId,
    tolerance,
    lowest_category: lowest,
    answers,
    score,
    assessed_at: iso(assessed),
    expires_at: iso(expires),
  });
  return { from: assessed, to: expires, maxRisk: lowest ? 1 : Number(tolerance.slice(1)) };
}

function cardNumber(context: CustomerContext): { number: string; bank: string } {
  const { bin, length, bank } = context.rng.weighted(CARD_BINS);
  const serial = context.cardSerial++;
  const unique = String(((serial % CARD_SPACE) * context.cardMultiplier + context.cardOffset) % CARD_SPACE).padStart(9, '0');
  const partial = length === 19 ? `${bin}${digits(context.rng, 3)}${unique}` : `${bin}${unique}`;
  return { number: partial + luhnCheckDigit(partial), bank };
}

interface Customer {
  index: number;
  id: number;
  professional: boolean;
  region: string;
  created: number;
  assessment: Assessment | null;
  accounts: { id: number; balance: number }[];
}

type Action = 'purchase' | 'redemption' | 'transfer' | 'largeTransfer';

/**
 * A year (at most) of ledger history: a deposit, then purchases, perhaps a redemption and a
 * transfer to an earlier customer. Balances are tracked in cents so nothing is spent that is not
 * there; money received from later customers only adds to a balance, so it cannot break that.
 */
function history(customer: Customer, context: CustomerContext, out: CustomerBatch): void {
  const { rng, now } = context;
  const start = Math.max(customer.created + 10 * MINUTE, now - 365 * DAY);
  let at = Math.floor(start + rng.next() * Math.min(14 * DAY, (now - start) / 4));

  const primary = customer.accounts[0]!;
  const deposit = customer.professional
    ? roundDown(logUniform(rng, 600_000_00, 5_000_000_00), 10_000_00)
    : realisticAmount(rng, logUniform(rng, 1_000_00, 500_000_00));
  record(context, out, 'DEPOSIT', customer.id, null, deposit, CLEARING_ACCOUNT_ID, primary.id, at);
  primary.balance += deposit;
  const second = customer.accounts[1];
  if (second && rng.chance(0.5)) {
    const amount = realisticAmount(rng, logUniform(rng, 500_00, 50_000_00));
    at += rng.int(MINUTE, 3 * DAY);
    record(context, out, 'DEPOSIT', customer.id, null, amount, CLEARING_ACCOUNT_ID, second.id, at);
    second.balance += amount;
  }

  const actions: Action[] = [];
  const purchases = rng.weighted(PURCHASE_COUNTS) + (customer.professional ? 1 : 0);
  for (let k = 0; k < purchases; k++) actions.push('purchase');
  if (purchases > 0 && rng.chance(0.25)) actions.splice(rng.int(1, actions.length), 0, 'redemption');
  if (customer.index > 0 && rng.chance(0.15)) actions.splice(rng.int(0, actions.length), 0, 'transfer');
  if (customer.index > 0 && customer.professional && rng.chance(0.15)) actions.splice(rng.int(0, actions.length), 0, 'largeTransfer');

  const positions = new Map<number, number>();
  const acknowledged = new Set<number>();
  for (let k = 0; k < actions.length; k++) {
    // spread the remaining actions over the time left, never past `now`
    at += Math.floor((rng.next() * 2 * Math.max(0, now - MINUTE - at)) / (actions.length - k + 1));
    const from = customer.accounts.reduce((a, b) => (b.balance > a.balance ? b : a));
    switch (actions[k]!) {
      case 'purchase': {
        const offer = chooseOffer(customer, from.balance, at, context);
        if (!offer) break;
        const target = Math.floor(from.balance * rng.between(0.1, 0.7));
        const amount = Math.min(from.balance, Math.max(offer.minCents, roundDown(target, granularity(target))));
        const disclosure = offer.riskDisclosures.filter((d) => d.publishedAt <= at).at(-1)!;
        if (!acknowledged.has(disclosure.id)) {
          acknowledged.add(disclosure.id);
          out.acknowledgements.push({
            customer_id: customer.id,
            disclosure_id: disclosure.id,
            acknowledged_at: iso(Math.max(disclosure.publishedAt, at - rng.int(MINUTE, 10 * MINUTE))),
          });
        }
        record(context, out, 'PURCHASE', customer.id, offer.productId, amount, from.id, offer.accountId, at);
        from.balance -= amount;
        positions.set(offer.productId, (positions.get(offer.productId) ?? 0) + amount);
        break;
      }
      case 'redemption': {
        const held = [...positions].filter(([, cents]) => cents > 0);
        if (held.length === 0) break;
        const [productId, position] = rng.pick(held);
        const amount =
          position < 2_00 || rng.chance(0.5) ? position : Math.max(1_00, roundDown(position * rng.between(0.2, 0.8), granularity(position / 2)));
        record(context, out, 'REDEMPTION', customer.id, productId, amount, productAccountId(productId), primary.id, at);
        primary.balance += amount;
        positions.set(productId, position - amount);
        break;
      }
      case 'transfer': {
        if (from.balance < 100_00) break;
        const target = rng.between(50_00, Math.min(50_000_00, from.balance / 2));
        const amount = Math.min(from.balance, Math.max(1_00, realisticAmount(rng, target)));
        const to = context.primaryAccount[rng.int(0, customer.index - 1)]!;
        record(context, out, 'TRANSFER', customer.id, null, amount, from.id, to, at);
        from.balance -= amount;
        break;
      }
      case 'largeTransfer': {
        if (from.balance < LARGE_TRANSFER_CENTS) break;
        const amount = roundDown(rng.between(LARGE_TRANSFER_CENTS, from.balance), 10_000_00);
        const to = context.primaryAccount[rng.int(0, customer.index - 1)]!;
        const transactionId = record(context, out, 'TRANSFER', customer.id, null, amount, from.id, to, at);
        from.balance -= amount;
        out.alerts.push(largeValueAlert(customer.id, transactionId, amount, at, context));
        break;
      }
    }
  }

  for (const [productId, cents] of positions) {
    out.positions.push({ customer_id: customer.id, product_id: productId, amount: formatCents(cents) });
  }
}

/** A product this customer may buy at `at` with `balance`, weighted towards the popular low-risk ones. */
function chooseOffer(customer: Customer, balance: number, at: number, context: CustomerContext): Offer | null {
  const { assessment } = customer;
  const maxRisk = assessment && assessment.from <= at && at < assessment.to ? assessment.maxRisk : 0;
  const eligible = context.offers.filter(
    (offer) =>
      offer.minCents <= balance &&
      // deposits need no questionnaire; everything else must suit a current assessment
      (offer.category === 'DEPOSIT' || offer.risk <= maxRisk) &&
      (!offer.qualifiedOnly || customer.professional) &&
      offer.riskDisclosures.some((d) => d.publishedAt <= at) &&
      offer.windows.some(
        (w) => w.from <= at && at < w.to && (w.regions.includes(NATIONWIDE) || w.regions.includes(customer.region)),
      ),
  );
  if (eligible.length === 0) return null;
  let target = context.rng.next() * eligible.reduce((sum, offer) => sum + offer.weight, 0);
  for (const offer of eligible) {
    target -= offer.weight;
    if (target < 0) return offer;
  }
  return eligible.at(-1)!;
}

function record(
  context: CustomerContext,
  out: CustomerBatch,
  type: TransactionType,
  customerId: number,
  productId: number | null,
  cents: number,
  fromAccount: number,
  toAccount: number,
  at: number,
): number {
  const id = context.nextTransactionId++;
  const amount = formatCents(cents);
  out.transactions.push({
    id,
    type,
    status: 'COMPLETED',
    amount,
    currency: CURRENCY,
    customer_id: customerId,
    product_id: productId,
    created_at: iso(at),
  });
  out.postings.push(
    { transaction_id: id, account_id: fromAccount, amount: `-${amount}` },
    { transaction_id: id, account_id: toAccount, amount },
  );
  return id;
}

function largeValueAlert(customerId: number, transactionId: number, cents: number, at: number, context: CustomerContext): RiskAlertRow {
  const { rng, now } = context;
  // reports are due within five working days; older alerts have been dealt with
  const status: AlertStatus = now - at < 5 * DAY ? 'OPEN' : rng.weighted(ALERT_OUTCOMES);
  return {
    kind: 'LARGE_VALUE',
    status,
    customer_id: customerId,
    transaction_id: transactionId,
    rule: '0503',
    reason: `自然人客户单笔境内款项划转人民币${formatYuan(cents)}元，达到人民币50万元的大额交易报告标准，依据《金融机构大额交易和可疑交易报告管理办法》第5条报告。`,
    created_at: iso(at + rng.int(1_000, 30_000)),
  };
}

const ALERT_OUTCOMES = weightedTable<AlertStatus>([['REPORTED', 70], ['CLOSED', 20], ['UNDER_REVIEW', 10]]);

// ---------------------------------------------------------------------------------------------
// Money and time

/** Integer cents as a decimal string with two places: 123456 → '1234.56', -5 → '-0.05'. */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError('cents must be a safe integer');
  const abs = Math.abs(cents);
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** A decimal string with at most two places ('1000', '0.5', '12.34') as integer cents. */
export function parseCents(amount: string): number {
  const match = /^(-?)([0-9]+)(?:\.([0-9]{1,2}))?$/.exec(amount);
  if (!match) throw new RangeError(`not a money amount: ${amount}`);
  const cents = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  return match[1] ? -cents : cents;
}

/** '1,234,567.89' */
function formatYuan(cents: number): string {
  const [whole, fraction] = formatCents(cents).split('.') as [string, string];
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction}`;
}

function logUniform(rng: Random, lowCents: number, highCents: number): number {
  return Math.round(Math.exp(rng.between(Math.log(lowCents), Math.log(highCents))));
}

/** The step people round an amount of this size to: 10 yuan, 100 yuan, … 10,000 yuan. */
function granularity(cents: number): number {
  if (cents >= 100_000_00) return 10_000_00;
  if (cents >= 10_000_00) return 1_000_00;
  if (cents >= 1_000_00) return 100_00;
  if (cents >= 100_00) return 10_00;
  return 1_00;
}

/** Mostly a round figure, sometimes exact to the cent (a salary, a refund). */
function realisticAmount(rng: Random, cents: number): number {
  if (rng.chance(0.15)) return Math.max(1, Math.round(cents));
  const step = granularity(cents);
  return Math.max(step, Math.round(cents / step) * step);
}

function roundDown(cents: number, step: number): number {
  return Math.floor(cents / step) * step;
}

/** The smallest m ≥ candidate with gcd(m, modulus) = 1, so that x ↦ x·m mod modulus is a bijection. */
function coprime(candidate: number, modulus: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let m = candidate;
  while (gcd(m, modulus) !== 1) m++;
  return m;
}

function startOfUtcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoDate(ms: number): string {
  return iso(ms).slice(0, 10);
}
