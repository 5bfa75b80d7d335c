// The demo's rows: one interface per table, keyed by column name, ready for seed.ts to insert. Ids
// are explicit so rows can reference each other before anything is inserted; timestamps are ISO
// strings, dates 'YYYY-MM-DD', money 'NNN.NN'.

import type { Side } from '../../data/facts.ts';
import type { AlertKind, RISK_LEVELS, Tolerance } from '../../policy/vocabulary.ts';

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
/** Product risk levels, low to high (the one vocabulary's). */
export type RiskLevel = (typeof RISK_LEVELS)[number];
/** The `products.status` values. */
export type ProductStatus = 'DRAFT' | 'IN_REVIEW' | 'ONLINE' | 'SUSPENDED' | 'TERMINATED';
/** The `disclosures.kind` values. */
export type DisclosureKind = 'PROSPECTUS' | 'RISK_DISCLOSURE' | 'FEE_SCHEDULE' | 'PERIODIC_REPORT';
/** The ledger transaction types the demo history uses (no reversals). */
export type TransactionType = 'DEPOSIT' | 'PURCHASE' | 'REDEMPTION' | 'TRANSFER';
/** A side of a customer's day: what comes into their accounts, or goes out of them (`risk_alerts.side`). */
/** The `risk_alerts.status` values. */
export type AlertStatus = 'OPEN' | 'UNDER_REVIEW' | 'CLOSED' | 'REPORTED';

/** A row of `institutions`. */
export interface InstitutionRow {
  id: number;
  name: string;
  kind: InstitutionKind;
  created_at: string;
}

/** A row of `licences`. */
export interface LicenceRow {
  id: number;
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
  /** The customer a transfer credits. */
  receiving_customer_id: number | null;
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
  kind: AlertKind;
  status: AlertStatus;
  customer_id: number;
  transaction_id: number;
  rule: string | null;
  side: Side | null;
  reason: string;
  /** When it must be reported or reviewed by (an ISO instant with its offset), if its rule says. */
  due_at: string | null;
  created_at: string;
}

/** A row of `purchase_confirmations`: the special written risk warning a buyer confirmed, as the gateway records it. */
export interface PurchaseConfirmationRow {
  transaction_id: number;
  code: string;
  policy: string;
  policy_sha256: string;
  warning: string;
  warning_sha256: string;
  warning_ref: string | null;
  echoed: boolean;
  confirmed_at: string;
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
  confirmations: PurchaseConfirmationRow[];
}

/** A batch with no rows yet. */
export function emptyBatch(): CustomerBatch {
  return { customers: [], riskAssessments: [], accounts: [], transactions: [], postings: [], positions: [], acknowledgements: [], alerts: [], confirmations: [] };
}

/** Appends the rows of `batch` to those of `into`, table by table. */
export function appendBatch(into: CustomerBatch, batch: CustomerBatch): void {
  for (const key of Object.keys(batch) as (keyof CustomerBatch)[]) {
    for (const row of batch[key]) (into[key] as unknown[]).push(row);
  }
}
