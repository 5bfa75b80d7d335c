-- The finance domain: institutions and their licences, customers and their risk assessments,
-- products and their disclosures, and a double-entry ledger. Constraints live here, not only in
-- application code, so that no client of the database can store what the domain forbids.

create table institutions (
  id          bigint generated always as identity primary key,
  name        text not null unique check (length(name) between 1 and 200),
  kind        text not null check (kind in ('BANK', 'FUND_MANAGER', 'WEALTH_MANAGEMENT_CO', 'INSURER',
                                             'PAYMENT_INSTITUTION', 'SECURITIES_FIRM', 'CONSUMER_FINANCE_CO',
                                             'PLATFORM')),
  created_at  timestamptz not null default now()
);

create table licences (
  id              bigint generated always as identity primary key,
  institution_id  bigint not null references institutions,
  type            text not null check (type in ('PAYMENT', 'FUND_SALES', 'WEALTH_MANAGEMENT',
                                                'ONLINE_MICROLENDING', 'INSURANCE_AGENCY', 'CONSUMER_FINANCE')),
  number          text not null unique check (length(number) between 1 and 64),
  valid_from      date not null,
  valid_to        date check (valid_to is null or valid_to >= valid_from),
  -- GB/T 2260 province codes ('310000' is Shanghai); '000000' means nationwide
  regions         text[] not null check (cardinality(regions) > 0),
  revoked         boolean not null default false
);
create index licences_institution_idx on licences (institution_id);

create table customers (
  id              bigint generated always as identity primary key,
  -- the distributing institution that services this customer (advisors see their own institution's customers)
  institution_id  bigint not null references institutions,
  name            text not null check (length(name) between 1 and 100),
  -- GB 11643 resident identity number: 17 digits and a check character
  id_number       text not null unique check (id_number ~ '^[0-9]{17}[0-9X]$'),
  phone           text not null check (phone ~ '^1[3-9][0-9]{9}$'),
  email           text check (email is null or email ~ '^[^@\s]+@[^@\s]+$'),
  birth_date      date not null,
  investor_type   text not null check (investor_type in ('ORDINARY', 'PROFESSIONAL')),
  region          text not null check (region ~ '^[0-9]{6}$'),
  created_at      timestamptz not null default now()
);
create index customers_institution_idx on customers (institution_id, id);

create table risk_assessments (
  id                bigint generated always as identity primary key,
  customer_id       bigint not null references customers,
  tolerance         text not null check (tolerance in ('C1', 'C2', 'C3', 'C4', 'C5')),
  -- 适当性办法: the lowest risk-tolerance category may buy nothing above R1
  lowest_category   boolean not null default false check (not lowest_category or tolerance = 'C1'),
  answers           integer[] not null check (cardinality(answers) > 0),
  score             integer not null check (score >= 0),
  assessed_at       timestamptz not null,
  expires_at        timestamptz not null check (expires_at > assessed_at)
);
create index risk_assessments_customer_idx on risk_assessments (customer_id, assessed_at desc, id desc);

create table products (
  id              bigint generated always as identity primary key,
  code            text not null unique check (code ~ '^[A-Z0-9-]{2,32}$'),
  name            text not null check (length(name) between 1 and 200),
  category        text not null check (category in ('DEPOSIT', 'WEALTH_MANAGEMENT', 'FUND', 'INSURANCE',
                                                    'LOAN', 'PAYMENT')),
  risk_level      text not null check (risk_level in ('R1', 'R2', 'R3', 'R4', 'R5')),
  status          text not null check (status in ('DRAFT', 'IN_REVIEW', 'ONLINE', 'SUSPENDED', 'TERMINATED')),
  issuer_id       bigint not null references institutions,
  distributor_id  bigint not null references institutions,
  currency        char(3) not null default 'CNY' check (currency ~ '^[A-Z]{3}$'),
  min_amount      numeric(20, 2) not null check (min_amount > 0),
  created_at      timestamptz not null default now()
);
create index products_issuer_idx on products (issuer_id);
create index products_distributor_idx on products (distributor_id);

create table disclosures (
  id            bigint generated always as identity primary key,
  product_id    bigint not null references products,
  kind          text not null check (kind in ('PROSPECTUS', 'RISK_DISCLOSURE', 'FEE_SCHEDULE', 'PERIODIC_REPORT')),
  version       integer not null check (version > 0),
  title         text not null check (length(title) between 1 and 300),
  body          text not null check (length(body) > 0),
  published_at  timestamptz not null,
  unique (product_id, kind, version)
);

create table disclosure_acknowledgements (
  id               bigint generated always as identity primary key,
  customer_id      bigint not null references customers,
  disclosure_id    bigint not null references disclosures,
  acknowledged_at  timestamptz not null default now(),
  unique (customer_id, disclosure_id)
);

-- Accounts hold money. A customer account belongs to one customer; a product account holds what
-- customers have paid into one product; system accounts are the platform's own (e.g. the
-- clearing account that funds deposits, the only kind allowed to go negative).
create table accounts (
  id              bigint generated always as identity primary key,
  kind            text not null check (kind in ('CUSTOMER', 'PRODUCT', 'SYSTEM')),
  customer_id     bigint references customers,
  product_id      bigint unique references products,
  name            text,
  currency        char(3) not null default 'CNY' check (currency ~ '^[A-Z]{3}$'),
  balance         numeric(20, 2) not null default 0,
  card_number     text unique check (card_number is null or card_number ~ '^[0-9]{16,19}$'),
  allow_negative  boolean not null default false,
  created_at      timestamptz not null default now(),
  check (allow_negative or balance >= 0),
  check ((kind = 'CUSTOMER') = (customer_id is not null)),
  check ((kind = 'PRODUCT') = (product_id is not null)),
  check (not allow_negative or kind = 'SYSTEM')
);
create index accounts_customer_idx on accounts (customer_id);

-- The ledger: every money movement is one transaction whose postings sum to zero
-- (a posting's amount is signed: negative takes money out of the account, positive puts it in).
create table transactions (
  id           bigint generated always as identity primary key,
  type         text not null check (type in ('DEPOSIT', 'PURCHASE', 'REDEMPTION', 'TRANSFER', 'REVERSAL')),
  status       text not null check (status in ('PENDING', 'COMPLETED', 'REJECTED', 'REVERSED')),
  amount       numeric(20, 2) not null check (amount > 0),
  currency     char(3) not null check (currency ~ '^[A-Z]{3}$'),
  customer_id  bigint not null references customers,
  product_id   bigint references products,
  reverses_id  bigint unique references transactions,
  created_at   timestamptz not null default now(),
  check ((type = 'REVERSAL') = (reverses_id is not null)),
  check ((type in ('PURCHASE', 'REDEMPTION')) = (product_id is not null))
);
create index transactions_customer_idx on transactions (customer_id, id);
create index transactions_created_idx on transactions (created_at);

create table postings (
  id              bigint generated always as identity primary key,
  transaction_id  bigint not null references transactions,
  account_id      bigint not null references accounts,
  amount          numeric(20, 2) not null check (amount <> 0)
);
create index postings_transaction_idx on postings (transaction_id);
create index postings_account_idx on postings (account_id);

-- What each customer holds in each product, in the product's currency.
create table positions (
  customer_id  bigint not null references customers,
  product_id   bigint not null references products,
  amount       numeric(20, 2) not null check (amount >= 0),
  primary key (customer_id, product_id)
);

create table risk_alerts (
  id              bigint generated always as identity primary key,
  kind            text not null check (kind in ('LARGE_VALUE', 'SUSPICIOUS', 'HIGH_FREQUENCY', 'SUITABILITY_OVERRIDE')),
  status          text not null default 'OPEN' check (status in ('OPEN', 'UNDER_REVIEW', 'CLOSED', 'REPORTED')),
  customer_id     bigint not null references customers,
  transaction_id  bigint references transactions,
  -- the rule that raised it, e.g. the PBOC large-value feature code '0503'
  rule            text,
  reason          text not null check (length(reason) > 0),
  created_at      timestamptz not null default now()
);
create index risk_alerts_customer_idx on risk_alerts (customer_id, id);
create index risk_alerts_transaction_idx on risk_alerts (transaction_id);

-- Postings are the ledger's truth: balances follow from them and nothing else, every transaction
-- balances when its postings are written (all of a transaction's postings go in one statement),
-- and nothing written is ever changed. Corrections are reversing transactions.
create function postings_apply() returns trigger language plpgsql as $$
declare
  unbalanced bigint;
begin
  select transaction_id into unbalanced
    from postings
   where transaction_id in (select distinct transaction_id from new_postings)
   group by transaction_id
  having sum(amount) <> 0
   limit 1;
  if unbalanced is not null then
    raise exception 'ledger transaction % does not balance', unbalanced using errcode = '23514';
  end if;
  update accounts a
     set balance = a.balance + d.amount
    from (select account_id, sum(amount) as amount from new_postings group by account_id) d
   where a.id = d.account_id;
  return null;
end $$;

create trigger postings_apply after insert on postings
  referencing new table as new_postings
  for each statement execute function postings_apply();

create function reject_change() returns trigger language plpgsql as $$
begin
  raise exception '% rows are immutable (% refused)', tg_table_name, tg_op using errcode = '42501';
end $$;

create trigger postings_immutable before update or delete on postings
  for each row execute function reject_change();
create trigger postings_no_truncate before truncate on postings
  for each statement execute function reject_change();

create function accounts_balance_from_postings() returns trigger language plpgsql as $$
begin
  -- depth 1 is a direct UPDATE; the posting trigger's update runs at depth 2
  if new.balance is distinct from old.balance and pg_trigger_depth() < 2 then
    raise exception 'account balances change only through ledger postings' using errcode = '42501';
  end if;
  return new;
end $$;

create trigger accounts_balance_guard before update of balance on accounts
  for each row execute function accounts_balance_from_postings();

-- A transaction may change only its status, and only from COMPLETED to REVERSED.
create function transactions_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'ledger transactions are immutable (DELETE refused)' using errcode = '42501';
  end if;
  if (new.type, new.amount, new.currency, new.customer_id, new.product_id, new.reverses_id, new.created_at)
     is distinct from
     (old.type, old.amount, old.currency, old.customer_id, old.product_id, old.reverses_id, old.created_at)
     or not (old.status = 'COMPLETED' and new.status = 'REVERSED') then
    raise exception 'ledger transactions are immutable; only COMPLETED -> REVERSED is allowed'
      using errcode = '42501';
  end if;
  return new;
end $$;

create trigger transactions_guard before update or delete on transactions
  for each row execute function transactions_guard();
create trigger transactions_no_truncate before truncate on transactions
  for each statement execute function reject_change();
