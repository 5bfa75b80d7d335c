-- Investor suitability (投资者适当性): the two things about a product the rules turn on, and the
-- qualified-investor confirmations that private products need.

-- How a product is offered. Private funds and private bank wealth-management products are sold
-- only to qualified investors and never promoted to the public (私募投资基金监督管理条例 Art. 18,
-- 20); no other category has a private offering here. Products that existed before this
-- migration are public until staff say otherwise.
alter table products
  add column offering text not null default 'PUBLIC' check (offering in ('PUBLIC', 'PRIVATE')),
  -- investment-type insurance (投资连结保险, 万能险): the policy's value follows an investment
  -- account, so the buyer's risk tolerance matters as it does for a fund; protection insurance is
  -- outside suitability
  add column investment_linked boolean not null default false;
alter table products
  add constraint products_private_offering check (offering = 'PUBLIC' or category in ('FUND', 'WEALTH_MANAGEMENT')),
  add constraint products_investment_linked check (not investment_linked or category = 'INSURANCE');

-- A qualified investor (合格投资者) as the seller's staff confirmed them from the evidence: which
-- test of the suitability policy the evidence met, the figure it showed, where the documents are,
-- who confirmed it and when, until when it holds, and the policy version that judged it. A customer
-- is qualified while one of their confirmations has not expired; evidence is never rewritten, so a
-- new confirmation supersedes an old one by lasting longer.
create table qualified_investor_confirmations (
  id             bigint generated always as identity primary key,
  customer_id    bigint not null references customers,
  basis          text not null check (basis in ('FINANCIAL_ASSETS', 'AVERAGE_INCOME')),
  -- CNY: the financial assets held, or the average annual income of the last three years
  amount         numeric(20, 2) not null check (amount >= 0),
  -- references to the documents seen (asset certificates, tax records), not their contents
  evidence       text not null check (length(evidence) between 1 and 500),
  -- the token subject of the staff member who confirmed it
  confirmed_by   text not null check (length(confirmed_by) between 1 and 255),
  confirmed_at   timestamptz not null,
  expires_at     timestamptz not null check (expires_at > confirmed_at),
  policy         text not null check (policy ~ '^[a-z][a-z0-9-]*@[1-9][0-9]*$'),
  policy_sha256  text not null check (policy_sha256 ~ '^[0-9a-f]{64}$')
);
-- "who is qualified now" is asked by every customer's product list (the access policy's
-- qualifiedInvestorIds) and by every purchase of a private product (the customer fact)
create index qualified_investor_confirmations_current_idx on qualified_investor_confirmations (expires_at, customer_id);
create index qualified_investor_confirmations_customer_idx on qualified_investor_confirmations (customer_id, expires_at desc);

create trigger qualified_investor_confirmations_immutable before update or delete on qualified_investor_confirmations
  for each row execute function reject_change();
create trigger qualified_investor_confirmations_no_truncate before truncate on qualified_investor_confirmations
  for each statement execute function reject_change();
