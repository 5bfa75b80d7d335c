// Who is who in this small fictional market: the institutions, the licences they hold, and the
// products they issue and sell. Specifications only; reference.ts turns them into rows.

import type { InstitutionKind, LicenceType, ProductCategory, ProductStatus, RiskLevel } from './rows.ts';

/** Everything in the demo is in renminbi. */
export const CURRENCY = 'CNY';
/** The region code of a licence valid in every province. */
export const NATIONWIDE = '000000';

export type InstitutionKey =
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

/** An institution of the market. */
export interface InstitutionSpec {
  key: InstitutionKey;
  name: string;
  short: string;
  kind: InstitutionKind;
  /** Customers it services: a relative weight, and the provinces it operates in (none = nationwide). */
  services?: { weight: number; provinces?: string[] };
}

const YUNQI_PROVINCES = ['330000', '310000', '320000'];
const CHENGJIANG_PROVINCES = ['530000'];

/** In id order: institution k has id k + 1. */
export const INSTITUTIONS: readonly InstitutionSpec[] = [
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

/** A licence an institution holds (or held). */
export interface LicenceSpec {
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
export const LICENCES: Readonly<Record<InstitutionKey, readonly LicenceSpec[]>> = {
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

/** A product: who issues it, who sells it, its risk level and minimum. */
export interface ProductSpec {
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
// licence has lapsed) so that suitability and licence checks have cases to catch. In id order:
// product k has id k + 1.
export const PRODUCTS: readonly ProductSpec[] = [
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

export function institutionId(key: InstitutionKey): number {
  return INSTITUTIONS.findIndex((spec) => spec.key === key) + 1;
}

export function institutionSpec(key: InstitutionKey): InstitutionSpec {
  return INSTITUTIONS[institutionId(key) - 1]!;
}
