-- The write side of money movement: idempotency keys, the index behind the same-day AML total,
-- and database-level rules that keep the records the write side creates honest.

-- One row per (principal, idempotency key): the claim a money mutation writes in the same database
-- transaction as its movement, so a crash leaves either both or neither. A concurrent duplicate
-- blocks on the primary key until the first commits (then it replays the stored transaction) or
-- rolls back (then it proceeds). Failed attempts roll back and leave no row (Stripe's rule).
create table idempotency_keys (
  -- the token's subject: keys are scoped per principal, so one caller can never replay another's
  principal_id    text not null check (length(principal_id) between 1 and 255),
  -- 1–255 printable ASCII characters (the API validates the same rule first)
  key             text not null check (key ~ '^[ -~]{1,255}$'),
  -- the mutation, e.g. 'transfer'; part of the fingerprint too, kept readable for operators
  operation       text not null check (operation ~ '^[a-zA-Z]{1,64}$'),
  -- sha256 (hex) of the operation and the canonical input without the key
  fingerprint     text not null check (fingerprint ~ '^[0-9a-f]{64}$'),
  -- the movement's result; null only inside the claiming transaction (checked at commit, below)
  transaction_id  bigint references transactions,
  created_at      timestamptz not null default now(),
  -- kept at least 24 hours (Stripe); the service keeps them 7 days
  expires_at      timestamptz not null,
  primary key (principal_id, key),
  check (expires_at >= created_at + interval '24 hours')
);
-- No index on expires_at: pruning is a daily sweep that may scan, while every movement would pay
-- for the index.

-- A claim never commits without its result: checked at commit, when the movement has been written.
create function idempotency_keys_complete() returns trigger language plpgsql as $$
begin
  -- the row as it is now, not as it was inserted: the claiming transaction sets the result later
  if exists (select 1 from idempotency_keys k
              where k.principal_id = new.principal_id and k.key = new.key and k.transaction_id is null) then
    raise exception 'idempotency key claimed without a result' using errcode = '23502';
  end if;
  return null;
end $$;

create constraint trigger idempotency_keys_complete after insert or update on idempotency_keys
  deferrable initially deferred
  for each row when (new.transaction_id is null)
  execute function idempotency_keys_complete();

-- A stored result is final while the key lives: the only changes are recording the result of the
-- claim (null -> transaction, nothing else), and replacing or pruning a key after it expired.
create function idempotency_keys_guard() returns trigger language plpgsql as $$
begin
  if old.expires_at < now() then
    return case tg_op when 'DELETE' then old else new end;
  end if;
  if tg_op = 'UPDATE' and old.transaction_id is null and new.transaction_id is not null
     and (new.principal_id, new.key, new.operation, new.fingerprint, new.created_at, new.expires_at)
         is not distinct from
         (old.principal_id, old.key, old.operation, old.fingerprint, old.created_at, old.expires_at) then
    return new;
  end if;
  raise exception 'idempotency keys are immutable until they expire (% refused)', tg_op using errcode = '42501';
end $$;

create trigger idempotency_keys_guard before update or delete on idempotency_keys
  for each row execute function idempotency_keys_guard();
create trigger idempotency_keys_no_truncate before truncate on idempotency_keys
  for each statement execute function reject_change();

-- The same-day cumulative AML total: one customer's transactions in one business day (a handful of
-- rows, read from the heap; a covering index would cost every insert more than it saves).
create index transactions_customer_created_idx on transactions (customer_id, created_at);

-- Risk alerts are evidence for the regulator: never deleted, and only their review status moves,
-- forward (OPEN -> UNDER_REVIEW -> CLOSED or REPORTED; OPEN may be closed or reported directly).
create function risk_alerts_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'risk alerts are never deleted' using errcode = '42501';
  end if;
  if (new.id, new.kind, new.customer_id, new.transaction_id, new.rule, new.reason, new.created_at)
     is distinct from
     (old.id, old.kind, old.customer_id, old.transaction_id, old.rule, old.reason, old.created_at)
     or not (new.status = old.status
             or (old.status = 'OPEN' and new.status in ('UNDER_REVIEW', 'CLOSED', 'REPORTED'))
             or (old.status = 'UNDER_REVIEW' and new.status in ('CLOSED', 'REPORTED'))) then
    raise exception 'risk alerts change only their status, forward (% -> % refused)', old.status, new.status
      using errcode = '42501';
  end if;
  return new;
end $$;

create trigger risk_alerts_guard before update or delete on risk_alerts
  for each row execute function risk_alerts_guard();
create trigger risk_alerts_no_truncate before truncate on risk_alerts
  for each statement execute function reject_change();

-- Suitability records (risk assessments) and disclosure acknowledgements are what the firm shows
-- when an ordinary investor disputes a sale (证券法 Art. 89 reverses the burden of proof): a new
-- assessment supersedes an old one by being newer, nothing is rewritten or removed.
create trigger risk_assessments_immutable before update or delete on risk_assessments
  for each row execute function reject_change();
create trigger risk_assessments_no_truncate before truncate on risk_assessments
  for each statement execute function reject_change();
create trigger disclosure_acknowledgements_immutable before update or delete on disclosure_acknowledgements
  for each row execute function reject_change();
create trigger disclosure_acknowledgements_no_truncate before truncate on disclosure_acknowledgements
  for each statement execute function reject_change();
