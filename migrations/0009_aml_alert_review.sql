-- AML monitoring and the review of its alerts.
--
-- A transfer records the customer it credits, so both sides of each customer's day can be totalled.
-- An alert now says when it must be reported by (due_at: large-value reports within 5 working days)
-- and which side of its customer's day it is about (a transfer can raise one on the sender's
-- outgoing side and one on the receiver's incoming side, each booked to its own customer).
-- Compliance reviews alerts OPEN -> UNDER_REVIEW -> CLOSED or REPORTED; every step is a row of an
-- append-only history with the reviewer, the reason and the time, and the alert's status is only
-- ever moved by inserting that row (the database refuses any other change), so the history and the
-- status cannot disagree.

alter table risk_alerts
  add column due_at timestamptz,
  add column side text check (side in ('INCOMING', 'OUTGOING'));

-- compliance's work list: open alerts by deadline
create index risk_alerts_due_idx on risk_alerts (due_at) where due_at is not null;

create table risk_alert_reviews (
  id           bigint generated always as identity primary key,
  alert_id     bigint not null references risk_alerts,
  from_status  text not null check (from_status in ('OPEN', 'UNDER_REVIEW')),
  to_status    text not null,
  -- the token subject of the compliance officer who made the step
  reviewer     text not null check (length(reviewer) between 1 and 255),
  reason       text not null check (length(reason) between 1 and 2000),
  reviewed_at  timestamptz not null default now(),
  -- the only steps a review makes: a person looks at it, then excludes (CLOSED) or reports it
  check ((from_status, to_status) in (('OPEN', 'UNDER_REVIEW'), ('UNDER_REVIEW', 'CLOSED'), ('UNDER_REVIEW', 'REPORTED')))
);
create index risk_alert_reviews_alert_idx on risk_alert_reviews (alert_id, id);

-- A review moves its alert from the status it names, or fails: a concurrent review that got there
-- first leaves nothing to move (the alert's row lock orders them).
create function risk_alert_reviews_apply() returns trigger language plpgsql as $$
begin
  update risk_alerts set status = new.to_status where id = new.alert_id and status = new.from_status;
  if not found then
    raise exception 'risk alert % is not %', new.alert_id, new.from_status using errcode = '40001';
  end if;
  return null;
end $$;

create trigger risk_alert_reviews_apply after insert on risk_alert_reviews
  for each row execute function risk_alert_reviews_apply();
create trigger risk_alert_reviews_immutable before update or delete on risk_alert_reviews
  for each row execute function reject_change();
create trigger risk_alert_reviews_no_truncate before truncate on risk_alert_reviews
  for each statement execute function reject_change();

-- Alerts are evidence for the regulator: nothing of one changes but its status, and that only from
-- a review row's trigger (depth 2), one allowed step at a time.
create or replace function risk_alerts_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'risk alerts are never deleted' using errcode = '42501';
  end if;
  if (new.id, new.kind, new.customer_id, new.transaction_id, new.rule, new.reason, new.created_at, new.due_at, new.side)
     is distinct from
     (old.id, old.kind, old.customer_id, old.transaction_id, old.rule, old.reason, old.created_at, old.due_at, old.side)
     or (new.status <> old.status and pg_trigger_depth() < 2)
     or not (new.status = old.status
             or (old.status = 'OPEN' and new.status = 'UNDER_REVIEW')
             or (old.status = 'UNDER_REVIEW' and new.status in ('CLOSED', 'REPORTED'))) then
    raise exception 'risk alerts change only their status, by a review (% -> % refused)', old.status, new.status
      using errcode = '42501';
  end if;
  return new;
end $$;

-- A transfer is booked to its sender; the customer whose account it credits is its receiving
-- customer, so each customer's incoming side of a day is one indexed read, like the outgoing one.
alter table transactions
  add column receiving_customer_id bigint references customers,
  add constraint transactions_receiving_customer_check check (receiving_customer_id is null or type = 'TRANSFER');
create index transactions_receiving_created_idx on transactions (receiving_customer_id, created_at)
  where receiving_customer_id is not null;

-- transfers written before: the owner of the customer account their positive posting credits
alter table transactions disable trigger transactions_guard;
update transactions t
   set receiving_customer_id = a.customer_id
  from postings p join accounts a on a.id = p.account_id and a.kind = 'CUSTOMER'
 where t.type = 'TRANSFER' and p.transaction_id = t.id and p.amount > 0;
alter table transactions enable trigger transactions_guard;

-- the receiving customer is as immutable as the rest of a ledger transaction
create or replace function transactions_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'ledger transactions are immutable (DELETE refused)' using errcode = '42501';
  end if;
  if (new.type, new.amount, new.currency, new.customer_id, new.product_id, new.reverses_id, new.created_at, new.receiving_customer_id)
     is distinct from
     (old.type, old.amount, old.currency, old.customer_id, old.product_id, old.reverses_id, old.created_at, old.receiving_customer_id)
     or not (old.status = 'COMPLETED' and new.status = 'REVERSED') then
    raise exception 'ledger transactions are immutable; only COMPLETED -> REVERSED is allowed'
      using errcode = '42501';
  end if;
  return new;
end $$;

-- Where the gateway runs as a restricted application role (a later or concurrent migration may
-- create it), the history is append-only for it too.
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'fingate_app') then
    revoke update, delete on risk_alert_reviews from fingate_app;
  end if;
end $$;
