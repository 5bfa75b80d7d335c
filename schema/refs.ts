import type { AccountRow } from '../src/data/accounts.ts';
import type { CustomerRow, RiskAssessmentRow } from '../src/data/customers.ts';
import type { AcknowledgementRow, DisclosureRow } from '../src/data/disclosures.ts';
import type { InstitutionRow, LicenceRow } from '../src/data/institutions.ts';
import type { ProductRow } from '../src/data/products.ts';
import type { RiskAlertRow, TransactionRow } from '../src/data/transactions.ts';
import { builder } from './builder.ts';
import { connectionOf } from './relay.ts';

// Declared before the domain files implement them, so domains can point at each other.
export const CustomerRef = builder.objectRef<CustomerRow>('Customer');
export const RiskProfileRef = builder.objectRef<RiskAssessmentRow>('RiskProfile');
export const AccountRef = builder.objectRef<AccountRow>('Account');
export const InstitutionRef = builder.objectRef<InstitutionRow>('Institution');
export const LicenseRef = builder.objectRef<LicenceRow>('License');
export const ProductRef = builder.objectRef<ProductRow>('Product');
export const TransactionRef = builder.objectRef<TransactionRow>('Transaction');
export const RiskAlertRef = builder.objectRef<RiskAlertRow>('RiskAlert');
export const DisclosureRef = builder.objectRef<DisclosureRow>('Disclosure');
export const AcknowledgementRef = builder.objectRef<AcknowledgementRow>('DisclosureAcknowledgement');

export const CustomerConnection = connectionOf('Customer', CustomerRef);
export const ProductConnection = connectionOf('Product', ProductRef);
export const TransactionConnection = connectionOf('Transaction', TransactionRef);
export const RiskAlertConnection = connectionOf('RiskAlert', RiskAlertRef);
