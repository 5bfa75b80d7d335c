-- The audit trail's table, as auditors query it: who accessed what, why, under which policy
-- versions, with which outcome. Values of personal data never go in. Records are written inside
-- operations and later sealed into a hash chain (hash = sha256(prev_hash || canonical record));
-- the only change a row ever sees is that one-time seal.

create table audit_events (
  id             bigint generated always as identity primary key,
  at             timestamptz not null default now(),
  actor          text not null,
  roles          text[] not null,
  purpose        text,
  operation      text not null,
  field_path     text not null,
  resource_type  text,
  resource_id    text,
  decision       text not null check (decision in ('ALLOW', 'DENY')),
  policies       text[] not null,
  reasons        text[] not null,
  prev_hash      text check (prev_hash ~ '^[0-9a-f]{64}$'),
  hash           text check (hash ~ '^[0-9a-f]{64}$')
);
create index audit_events_actor_idx on audit_events (actor, id);
create index audit_events_resource_idx on audit_events (resource_type, resource_id, id);
create index audit_events_at_idx on audit_events (at);

create function audit_events_seal_only() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'audit events are append-only (DELETE refused)' using errcode = '42501';
  end if;
  if old.hash is not null
     or (new.id, new.at, new.actor, new.roles, new.purpose, new.operation, new.field_path, new.resource_type,
         new.resource_id, new.decision, new.policies, new.reasons)
        is distinct from
        (old.id, old.at, old.actor, old.roles, old.purpose, old.operation, old.field_path, old.resource_type,
         old.resource_id, old.decision, old.policies, old.reasons) then
    raise exception 'audit events are append-only; only the one-time seal may set hash' using errcode = '42501';
  end if;
  return new;
end $$;

create trigger audit_events_seal_only before update or delete on audit_events
  for each row execute function audit_events_seal_only();
create trigger audit_events_no_truncate before truncate on audit_events
  for each statement execute function reject_change();
