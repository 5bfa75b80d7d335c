// What each product publishes: a prospectus, a risk disclosure naming its risk level and whom it
// suits, a fee schedule for funds, a periodic report for funds and wealth-management products
// on sale, and for some a later revision. Texts follow the wording of real Chinese disclosures.

import type { Random } from '../random.ts';
import { centsOf, decimal } from './amounts.ts';
import { institutionSpec, type InstitutionSpec, type ProductSpec } from './market.ts';
import type { Tolerance } from '../../policy/vocabulary.ts';
import type { DisclosureKind, DisclosureRow, ProductCategory, ProductRow, RiskLevel } from './rows.ts';
import { DAY, iso, isoDate } from './time.ts';

/** The disclosures of one product, with ids from `firstId`. */
export function productDisclosures(
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
  const issuer = institutionSpec(spec.issuer);
  const distributor = institutionSpec(spec.distributor);
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
  const min = `${formatYuan(centsOf(product.min_amount)).replace(/\.00$/, '')}元`;
  const seller = issuer.key === distributor.key ? `由${issuer.short}直接销售` : `由${distributor.short}代理销售`;
  switch (product.category) {
    case 'DEPOSIT':
      return `${product.name}由${issuer.name}发行，起存金额${min}，按存入日挂牌利率计息，到期自动转存。提前支取的部分按支取日活期存款利率计息。`;
    case 'WEALTH_MANAGEMENT':
      return `${product.name}由${issuer.name}发行管理，${seller}。本产品为非保本浮动收益型理财产品，主要投资于${ASSETS[product.risk_level]}。产品起购金额${min}，按产品说明书约定的开放日办理申购和赎回。`;
    case 'FUND':
      if (centsOf(product.min_amount) >= 1_000_000_00) {
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
  if (centsOf(product.min_amount) >= 1_000_000_00) {
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

/** An amount for text: '1,234,567.89'. */
function formatYuan(cents: number): string {
  const [whole, fraction] = decimal(cents).split('.') as [string, string];
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction}`;
}
