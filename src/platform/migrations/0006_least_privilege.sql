-- Least privilege (docs/decisions/0025-least-privilege.md). Three kinds of database role:
--   the owner      owns the schemas and runs migrations (DATABASE_OWNER_URL);
--   the API role   logs in as DATABASE_URL, owns nothing, has no BYPASSRLS: it is a member of
--                  matchbase_user (requests, under row-level security) and of matchbase_system
--                  (system work: jobs, OTP, webhooks), which reaches tables only through the
--                  grants and the explicit system_access policies written below;
--   reporting      a member of matchbase_reporting: SELECT on the business tables, no secrets.
-- The login roles themselves are made by `matchbase roles setup` (they need passwords); this
-- migration makes the group roles and platform.grant_runtime_access(), which the migrator runs
-- after every `migrate up` so that tables added later get the same grants and policies.
-- Also: the admin second factor's tables (TOTP secret, recovery codes).
-- migrate:up
do $$
begin
  create role matchbase_system nologin;
exception when duplicate_object or unique_violation then null;
end $$;
do $$
begin
  create role matchbase_reporting nologin;
exception when duplicate_object or unique_violation then null;
end $$;

-- Admin second factor: one TOTP secret per admin and app (sealed with ENCRYPTION_KEYS), and
-- one-time recovery codes, stored as HMACs. Closed: only system work reads or writes them.
create table platform.admin_second_factors (
  app text not null,
  user_id uuid not null,
  secret_sealed text not null,
  confirmed_at timestamptz,
  -- The last TOTP time step accepted: a code is good once (replay refused).
  last_time_step bigint,
  created_at timestamptz not null default now(),
  primary key (app, user_id)
);
alter table platform.admin_second_factors enable row level security;
alter table platform.admin_second_factors force row level security;
comment on table platform.admin_second_factors is 'secret: not for reporting';

create table platform.admin_recovery_codes (
  id bigint generated always as identity primary key,
  app text not null,
  user_id uuid not null,
  code_hash text not null unique,
  used_at timestamptz,
  created_at timestamptz not null default now(),
  foreign key (app, user_id) references platform.admin_second_factors (app, user_id) on delete cascade
);
create index idx_admin_recovery_codes_user on platform.admin_recovery_codes (app, user_id);
alter table platform.admin_recovery_codes enable row level security;
alter table platform.admin_recovery_codes force row level security;
comment on table platform.admin_recovery_codes is 'secret: not for reporting';

-- Secrets stay out of reporting: tables commented 'secret: ...' and the platform's token tables.
create function platform.is_secret_table(t regclass) returns boolean
  language sql stable
  as $$
    select coalesce(obj_description(t, 'pg_class') like 'secret:%', false)
      or coalesce(obj_description(t, 'pg_class') = 'platform shape: otp_codes', false)
      or t in ('platform.refresh_tokens'::regclass, 'platform.dev_mailbox'::regclass,
               'platform.idempotency_keys'::regclass, 'platform.session_revocations'::regclass)
  $$;

-- Grants and policies for the system and reporting roles on every table of the schemas the
-- current role owns (the platform's and every app's). Idempotent; run as the owner.
create function platform.grant_runtime_access() returns integer
  language plpgsql
  set search_path = pg_catalog, platform
  as $$
declare
  s record;
  t record;
  n integer := 0;
begin
  for s in
    select n.nspname from pg_namespace n
    where n.nspowner = (select oid from pg_roles where rolname = current_user)
      and n.nspname not like 'pg\_%' and n.nspname not in ('public', 'information_schema', 'pgboss')
  loop
    execute format('grant usage on schema %I to matchbase_system, matchbase_reporting', s.nspname);
    execute format('grant select, insert, update, delete on all tables in schema %I to matchbase_system', s.nspname);
    execute format('grant usage, select on all sequences in schema %I to matchbase_system', s.nspname);
    execute format('grant execute on all functions in schema %I to matchbase_system', s.nspname);
    for t in
      select c.oid::regclass as rel, c.relname, c.relrowsecurity from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = s.nspname and c.relkind in ('r', 'p', 'v', 'm')
        and not c.relispartition -- reached through their parent, whose policies apply
    loop
      if t.relrowsecurity and not exists (
        select 1 from pg_policy where polrelid = t.rel and polname = 'system_access') then
        execute format('create policy system_access on %s for all to matchbase_system using (true) with check (true)', t.rel);
      end if;
      if not platform.is_secret_table(t.rel) and t.relname <> 'schema_migrations' then
        execute format('grant select on %s to matchbase_reporting', t.rel);
        if t.relrowsecurity and not exists (
          select 1 from pg_policy where polrelid = t.rel and polname = 'reporting_read') then
          execute format('create policy reporting_read on %s for select to matchbase_reporting using (true)', t.rel);
        end if;
      end if;
      n := n + 1;
    end loop;
  end loop;
  -- Only the owner grants: not a function for the roles it grants to.
  revoke execute on function platform.grant_runtime_access() from matchbase_system;
  return n;
end $$;
revoke execute on function platform.grant_runtime_access() from public;

-- Refreshing a materialized view needs its owner: jobs on the API role ask this function,
-- which refreshes only materialized views in the schemas its owner owns.
create function platform.refresh_materialized_view(target regclass, without_blocking boolean default true) returns void
  language plpgsql
  security definer
  set search_path = pg_catalog, platform
  as $$
begin
  if not exists (
    select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.oid = target and c.relkind = 'm' and n.nspowner = (select oid from pg_roles where rolname = current_user)) then
    raise exception '% is not a materialized view of Matchbase', target using errcode = 'insufficient_privilege';
  end if;
  execute format('refresh materialized view %s %s', case when without_blocking then 'concurrently' else '' end, target);
end $$;
revoke execute on function platform.refresh_materialized_view(regclass, boolean) from public;
grant execute on function platform.refresh_materialized_view(regclass, boolean) to matchbase_system;

-- migrate:down
do $$
declare p record;
begin
  for p in select polname, polrelid::regclass as rel from pg_policy where polname in ('system_access', 'reporting_read') loop
    execute format('drop policy %I on %s', p.polname, p.rel);
  end loop;
end $$;
drop function platform.refresh_materialized_view(regclass, boolean);
drop function platform.grant_runtime_access();
drop function platform.is_secret_table(regclass);
drop table platform.admin_recovery_codes;
drop table platform.admin_second_factors;
