-- The policy lifecycle: which version of each policy module is enforced or shadowed, from when,
-- by whom. Append-only: rollback is a new activation of an older version, so history stays whole.

create table policy_activations (
  id              bigint generated always as identity primary key,
  module          text not null check (module ~ '^[a-z][a-z0-9-]*$'),
  version         integer not null check (version > 0),
  sha256          text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  mode            text not null check (mode in ('ENFORCE', 'SHADOW', 'INACTIVE')),
  effective_from  timestamptz not null,
  activated_at    timestamptz not null default now(),
  activated_by    text not null check (length(activated_by) between 1 and 200)
);
create index policy_activations_module_idx on policy_activations (module, effective_from, id);

-- Requests whose decision a shadow version would have made differently.
create table policy_shadow_outcomes (
  id            bigint generated always as identity primary key,
  at            timestamptz not null,
  module        text not null,
  enforced      text not null,   -- module@version
  shadow        text not null,   -- module@version
  action        text not null,
  principal_id  text not null,
  resource_type text,
  resource_id   text,
  enforced_allow boolean not null,
  shadow_allow   boolean not null,
  detail        jsonb not null    -- reasons and row conditions of both, never personal data values
);
create index policy_shadow_outcomes_shadow_idx on policy_shadow_outcomes (shadow, at);

create trigger policy_activations_append_only before update or delete on policy_activations
  for each row execute function reject_change();
create trigger policy_shadow_outcomes_append_only before update or delete on policy_shadow_outcomes
  for each row execute function reject_change();
