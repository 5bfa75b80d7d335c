-- The role the gateway runs as: it reads and writes the domain, and on the audit trail (and the
-- policy history) it may SELECT and INSERT only. It owns nothing, so it cannot ALTER a table,
-- disable a trigger or TRUNCATE; with no UPDATE or DELETE granted, the append-only triggers are
-- a second line, for roles that do hold those rights. Migrations keep running as the owner.
--
-- Roles belong to the cluster, not the database: the role is created once (by whoever migrates
-- first, if allowed to) and every database grants it its own rights.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'fingate_app') then
    begin
      create role fingate_app nologin;
    exception
      -- another database's migration created it meanwhile
      when duplicate_object or unique_violation then null;
      when insufficient_privilege then
        raise exception 'the role fingate_app does not exist and % may not create it: run "create role fingate_app nologin" as a superuser, then migrate again', current_user;
    end;
  end if;
end $$;

grant usage on schema public to fingate_app;
grant select, insert, update, delete on all tables in schema public to fingate_app;
grant usage, select on all sequences in schema public to fingate_app;
-- what later migrations create (as the same owner) is the application's to use too; a new
-- append-only table revokes UPDATE and DELETE from it, as below
alter default privileges in schema public grant select, insert, update, delete on tables to fingate_app;
alter default privileges in schema public grant usage, select on sequences to fingate_app;

revoke update, delete on audit_events, audit_chain, audit_checkpoints, audit_trail,
                         policy_activations, policy_shadow_outcomes from fingate_app;
revoke insert, update, delete on audit_trail, schema_migrations from fingate_app;
