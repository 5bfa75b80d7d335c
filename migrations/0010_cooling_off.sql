-- Cooling-off periods (投资冷静期) of private products, and what a customer confirmed when buying
-- above their risk tolerance.
--
-- A product is offered publicly (公募) or privately (私募: qualified investors only). A purchase of a
-- private fund or private wealth-management product is PENDING during its cooling-off period: its
-- money is in the collection account, its position not yet credited. It ends REVERSED (cancelled,
-- with a REVERSAL refunding it) or COMPLETED (the period over and, for private funds, the return
-- call recorded; the position credited then).

-- (the suitability work adds the same column in its own migration: whichever runs first adds it)
alter table products
  add column if not exists offering text not null default 'PUBLIC' check (offering in ('PUBLIC', 'PRIVATE'));

create table cooling_off_periods (
  transaction_id        bigint primary key references transactions,
  -- the class whose terms it runs under (the cooling-off policy's data), e.g. 'PRIVATE_FUND'
  product_class         text not null check (product_class ~ '^[A-Z][A-Z_]*$'),
  -- the policy version that set the terms, e.g. 'cooling-off@1'
  policy                text not null check (policy ~ '^[a-z][a-z0-9-]*@[1-9][0-9]*$'),
  starts_at             timestamptz not null,
  -- S17/S18: at least 24 hours
  ends_at               timestamptz not null check (ends_at >= starts_at + interval '24 hours'),
  return_call_required  boolean not null,
  -- S18: the firm may not contact the investor during the period; the call comes after it
  return_call_at        timestamptz check (return_call_at >= ends_at),
  -- the token subject of the staff member who made the call
  return_call_by        text check (length(return_call_by) between 1 and 255),
  check ((return_call_at is null) = (return_call_by is null)),
  check (return_call_required or return_call_at is null)
);

-- A period's terms never change; its return call is recorded once.
create function cooling_off_periods_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'cooling-off periods are never deleted' using errcode = '42501';
  end if;
  if (new.transaction_id, new.product_class, new.policy, new.starts_at, new.ends_at, new.return_call_required)
     is distinct from
     (old.transaction_id, old.product_class, old.policy, old.starts_at, old.ends_at, old.return_call_required)
     or old.return_call_at is not null then
    raise exception 'a cooling-off period changes only by recording its return call, once' using errcode = '42501';
  end if;
  return new;
end $$;

create trigger cooling_off_periods_guard before update or delete on cooling_off_periods
  for each row execute function cooling_off_periods_guard();
create trigger cooling_off_periods_no_truncate before truncate on cooling_off_periods
  for each statement execute function reject_change();

-- the sweep that completes purchases whose period is over reads only the pending ones
create index transactions_pending_idx on transactions (id) where status = 'PENDING';

-- A ledger transaction changes only its status: a pending purchase completes or is cancelled, a
-- completed transaction may be reversed (a correction). Nothing else of it ever changes.
create or replace function transactions_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'ledger transactions are immutable (DELETE refused)' using errcode = '42501';
  end if;
  if (new.type, new.amount, new.currency, new.customer_id, new.product_id, new.reverses_id, new.created_at, new.receiving_customer_id)
     is distinct from
     (old.type, old.amount, old.currency, old.customer_id, old.product_id, old.reverses_id, old.created_at, old.receiving_customer_id)
     or not ((old.status = 'COMPLETED' and new.status = 'REVERSED')
             or (old.status = 'PENDING' and new.status in ('COMPLETED', 'REVERSED'))) then
    raise exception 'ledger transactions are immutable; only PENDING -> COMPLETED or REVERSED and COMPLETED -> REVERSED are allowed'
      using errcode = '42501';
  end if;
  return new;
end $$;

-- The special written risk warning (适当性办法 Art. 19) a customer confirmed with a purchase above
-- their tolerance: the text itself, its sha256 (the text's version) and the suitability version
-- that asked for it. Evidence in a dispute (证券法 Art. 89 puts the burden of proof on the firm).
create table purchase_confirmations (
  transaction_id  bigint not null references transactions,
  -- the confirmation asked for, e.g. 'CONFIRM_RISK_MISMATCH'
  code            text not null check (code ~ '^[A-Z][A-Z0-9_]*$'),
  policy          text not null check (policy ~ '^[a-z][a-z0-9-]*@[1-9][0-9]*$'),
  policy_sha256   text not null check (policy_sha256 ~ '^[0-9a-f]{64}$'),
  warning         text not null check (length(warning) > 0),
  warning_sha256  text not null check (warning_sha256 ~ '^[0-9a-f]{64}$'),
  -- the text's version as the policy names it (the confirm reason's `ref`, e.g. 'SRW-2026-01'), if it does
  warning_ref     text check (length(warning_ref) between 1 and 100),
  -- whether the client echoed warning_sha256: it showed the customer exactly this text
  echoed          boolean not null,
  confirmed_at    timestamptz not null,
  primary key (transaction_id, code)
);
create trigger purchase_confirmations_immutable before update or delete on purchase_confirmations
  for each row execute function reject_change();
create trigger purchase_confirmations_no_truncate before truncate on purchase_confirmations
  for each statement execute function reject_change();

do $$
begin
  if exists (select 1 from pg_roles where rolname = 'fingate_app') then
    revoke update, delete on purchase_confirmations from fingate_app;
  end if;
end $$;
