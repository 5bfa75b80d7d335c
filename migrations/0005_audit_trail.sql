-- The audit trail: one record per decision of an operation (reads aggregated per request and
-- resource type), the hash chain that seals committed records in the order they are seen
-- committed, and the signed checkpoints of that chain. All three are append-only: records are
-- never changed, sealing is an insert into the chain, and UPDATE, DELETE and TRUNCATE are refused
-- for every role (the application's role is not even granted them: 0006).
--
-- 0004's audit_events (one row per field, sealed in place by UPDATE) was never written by any
-- operation; it is replaced, and this migration refuses to run over a table holding records.

do $$
begin
  if exists (select 1 from audit_events) then
    raise exception 'audit_events holds records: 0005 replaces the never-written table of 0004 and will not drop records';
  end if;
end $$;
drop table audit_events;
drop function audit_events_seal_only();

-- Every check is paid for by every request's insert: lengths, not patterns (the values come
-- from the gateway's decisions, not from clients; a client's request id and purpose are vetted
-- before they get here).
create table audit_events (
  id              bigint generated always as identity primary key,
  -- the writing transaction: the sealer seals everything committed below the oldest transaction
  -- still running, so a record committed late is never skipped (not hashed; bookkeeping)
  xid             xid8 not null default pg_current_xact_id(),
  at              timestamptz(3) not null,
  -- the record kind (the audit policy's kinds: transaction, access, policy…) and how long it is kept
  kind            text not null check (char_length(kind) between 1 and 32),
  retain_until    timestamptz(3) not null check (retain_until >= at),
  request_id      text not null check (length(request_id) between 1 and 200),
  -- the GraphQL operation's name ('anonymous' without one), or the CLI command
  operation       text not null check (length(operation) between 1 and 200),
  operation_hash  text check (octet_length(operation_hash) = 64),
  actor           text not null check (length(actor) between 1 and 255),
  roles           text[] not null,
  purpose         text,
  action          text not null check (char_length(action) between 3 and 100),
  resource_type   text,
  -- the one record decided on, when there is exactly one; every one in resource_ids
  resource_id     text,
  resource_ids    text[] not null,
  -- the customers whose data the decision covered (ids only)
  customer_ids    bigint[] not null,
  -- where in the operation: the root-most response path, and every path read under the decision
  field_path      text not null,
  fields          text[] not null,
  masked          text[] not null,
  hidden          text[] not null,
  decision        text not null check (decision in ('ALLOW', 'DENY')),
  -- the write this decision allowed failed and rolled back (the record is its attempt)
  failed          boolean not null,
  -- written in the write's own database transaction
  in_transaction  boolean not null,
  -- module@version of every policy version the decision was made under, and each file's sha256
  policies        text[] not null,
  policy_sha256   text[] not null check (cardinality(policy_sha256) = cardinality(policies)),
  reasons         text[] not null,
  -- verdicts, obligations, shadow disagreements and the decision's input (for replay); ids,
  -- classes and amounts only, never personal data values
  detail          jsonb not null
);
-- what auditors ask most (whose data, by whom, which fields, when) is indexed; every index is paid
-- for by every request's insert, so a resource's other ids are found by scanning a time range
create index audit_events_xid_idx on audit_events (xid);
create index audit_events_at_idx on audit_events (at);
create index audit_events_actor_idx on audit_events (actor, at);
create index audit_events_customers_idx on audit_events using gin (customer_ids);
create index audit_events_fields_idx on audit_events using gin (fields);

-- The chain: position seq seals one record, hash = sha256(prev_hash || canonical(record, seq)).
-- One linear chain: positions start at 1 and follow each other, every link names the hash before
-- it, and a record is sealed once. The database checks this for every insert, whoever sends it.
-- (No foreign key to audit_events: its per-row check would cost more than sealing itself; a
-- position whose record is missing shows as a gap when the chain is verified.)
create table audit_chain (
  seq        bigint primary key check (seq > 0),
  event_id   bigint not null unique,
  -- sha256 in hex; a malformed one fails verification like any wrong hash (no regex per row)
  prev_hash  text not null check (octet_length(prev_hash) = 64),
  hash       text not null check (octet_length(hash) = 64),
  sealed_at  timestamptz not null default now(),
  -- every record of a transaction older than this is sealed (where the next round starts; not hashed)
  horizon    xid8 not null
);

-- per statement: the new positions are contiguous, the first follows the chain's head (or is the
-- first of all), and each names the hash of the one before it
create function audit_chain_linear() returns trigger language plpgsql as $$
declare
  lo bigint;
  hi bigint;
  n bigint;
  first_prev text;
begin
  select min(seq), max(seq), count(*) into lo, hi, n from inserted;
  select prev_hash into first_prev from inserted where seq = lo;
  if hi - lo + 1 <> n
     or (lo = 1 and first_prev <> repeat('0', 64))
     or (lo > 1 and first_prev is distinct from (select hash from audit_chain where seq = lo - 1))
     or exists (select 1 from (select prev_hash, lag(hash) over (order by seq) as before from inserted) x
                 where x.before <> x.prev_hash) then
    raise exception 'audit chain: a position must follow the one before it and name its hash' using errcode = '23514';
  end if;
  return null;
end $$;

create trigger audit_chain_linear after insert on audit_chain
  referencing new table as inserted
  for each statement execute function audit_chain_linear();

-- Signed checkpoints: the chain's head at a position, signed with the sealer's Ed25519 key, so a
-- rewrite of earlier rows (even with every hash recomputed) shows against one kept elsewhere.
create table audit_checkpoints (
  seq        bigint primary key references audit_chain (seq),
  hash       text not null check (hash ~ '^[0-9a-f]{64}$'),
  at         timestamptz(3) not null,
  -- sha256 of the public key (SPKI, DER), first 32 hex digits
  key_id     text not null check (key_id ~ '^[0-9a-f]{32}$'),
  signature  text not null check (length(signature) between 1 and 200)
);

create trigger audit_events_append_only before update or delete on audit_events
  for each row execute function reject_change();
create trigger audit_events_no_truncate before truncate on audit_events
  for each statement execute function reject_change();
create trigger audit_chain_append_only before update or delete on audit_chain
  for each row execute function reject_change();
create trigger audit_chain_no_truncate before truncate on audit_chain
  for each statement execute function reject_change();
create trigger audit_checkpoints_append_only before update or delete on audit_checkpoints
  for each row execute function reject_change();
create trigger audit_checkpoints_no_truncate before truncate on audit_checkpoints
  for each statement execute function reject_change();

-- The trail as auditors read it: sealed records in chain order, each with its position and hash.
create view audit_trail as
  select c.seq, c.prev_hash, c.hash, c.sealed_at,
         e.id as event_id, e.at, e.kind, e.retain_until, e.request_id, e.operation, e.operation_hash,
         e.actor, e.roles, e.purpose, e.action, e.resource_type, e.resource_id, e.resource_ids,
         e.customer_ids, e.field_path, e.fields, e.masked, e.hidden, e.decision, e.failed,
         e.in_transaction, e.policies, e.policy_sha256, e.reasons, e.detail
    from audit_chain c join audit_events e on e.id = c.event_id;
