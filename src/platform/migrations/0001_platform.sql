-- The platform's own objects: the user role, claim helpers, audit log, ledger, idempotency keys,
-- refresh tokens and the dev mailbox. Apps build on these.
-- migrate:up
create extension if not exists pgcrypto;
create extension if not exists citext;
create extension if not exists pg_trgm;
create extension if not exists cube;
create extension if not exists earthdistance;
-- pgvector where the server has it (always on PGlite); the exact in-process cosine otherwise.
do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'vector') then
    create extension if not exists vector;
  end if;
end $$;

-- Roles are cluster-wide while databases are not: several databases on one server may race
-- to create it, so both "already exists" errors are expected and ignored.
do $$
begin
  create role matchbase_user nologin;
exception when duplicate_object or unique_violation then null;
end $$;
do $$
begin
  execute format('grant matchbase_user to %I', current_user);
exception when others then null; -- superusers and existing grants need nothing
end $$;

grant usage on schema platform to matchbase_user;

-- Claims of the current request, set per transaction by withUser().
create function platform.claims() returns jsonb
  language sql stable
  as $$ select coalesce(nullif(current_setting('request.claims', true), ''), '{}')::jsonb $$;
create function platform.uid() returns uuid
  language sql stable
  as $$ select nullif(platform.claims() ->> 'sub', '')::uuid $$;
create function platform.role() returns text
  language sql stable
  as $$ select platform.claims() ->> 'role' $$;
-- An admin of one app is not an admin of another: tokens are per app, and so are policies.
create function platform.is_admin(app text) returns boolean
  language sql stable
  as $$ select coalesce(platform.claims() ->> 'role' = 'admin' and platform.claims() ->> 'app' = app, false) $$;

-- Shared trigger: keep updated_at current.
create function platform.touch_updated_at() returns trigger
  language plpgsql
  as $$
begin
  new.updated_at = now();
  return new;
end $$;

-- Audit log: append-only.
create table platform.audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  app text not null,
  actor_id uuid,
  actor_role text,
  action text not null,
  subject_type text,
  subject_id text,
  data jsonb not null default '{}'::jsonb,
  request_id text
);
create index idx_audit_log_subject on platform.audit_log (app, subject_type, subject_id);
create index idx_audit_log_actor on platform.audit_log (actor_id, at desc);
create index idx_audit_log_at on platform.audit_log (at desc);

create function platform.refuse_change() returns trigger
  language plpgsql
  as $$
begin
  raise exception '% is append-only: % refused', tg_table_schema || '.' || tg_table_name, tg_op
    using errcode = 'insufficient_privilege';
end $$;
create trigger audit_log_append_only
  before update or delete on platform.audit_log
  for each row execute function platform.refuse_change();
create trigger audit_log_no_truncate
  before truncate on platform.audit_log
  for each statement execute function platform.refuse_change();

alter table platform.audit_log enable row level security;
alter table platform.audit_log force row level security;
grant insert on platform.audit_log to matchbase_user;
create policy audit_insert_own on platform.audit_log for insert to matchbase_user
  with check (actor_id is not distinct from platform.uid());

-- Ledger: every change of a balance column writes one row here, in the same transaction,
-- through the track_balance trigger; a change without a stated reason is refused.
create table platform.ledger_entries (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  app text not null,
  account_table text not null,
  account_id uuid not null,
  delta integer not null check (delta <> 0),
  balance_after integer not null check (balance_after >= 0),
  reason text not null,
  reference text
);
create index idx_ledger_account on platform.ledger_entries (app, account_table, account_id, at);
create trigger ledger_append_only
  before update or delete on platform.ledger_entries
  for each row execute function platform.refuse_change();
alter table platform.ledger_entries enable row level security;
alter table platform.ledger_entries force row level security;
grant select on platform.ledger_entries to matchbase_user;
create policy ledger_read_own on platform.ledger_entries for select to matchbase_user
  using (account_id = (select platform.uid()));

-- Attach as: after insert or update of <column> on <table> for each row
--            execute function platform.track_balance('<column>')
create function platform.track_balance() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, platform
  as $$
declare
  col text := tg_argv[0];
  new_balance integer := (to_jsonb(new) ->> col)::integer;
  old_balance integer := case when tg_op = 'UPDATE' then (to_jsonb(old) ->> col)::integer else 0 end;
  reason text := nullif(current_setting('ledger.reason', true), '');
begin
  if coalesce(new_balance, 0) = coalesce(old_balance, 0) then
    return new;
  end if;
  if reason is null then
    raise exception 'balance %.% changed without a ledger reason', tg_table_name, col
      using errcode = 'check_violation';
  end if;
  insert into platform.ledger_entries (app, account_table, account_id, delta, balance_after, reason, reference)
  values (tg_table_schema, tg_table_name, new.id, coalesce(new_balance, 0) - coalesce(old_balance, 0),
          coalesce(new_balance, 0), reason, nullif(current_setting('ledger.reference', true), ''));
  return new;
end $$;

-- Idempotency keys for spending and purchasing endpoints (used by the API on the owner role).
create table platform.idempotency_keys (
  scope text not null,
  key text not null,
  request_hash text not null,
  status text not null default 'running' check (status in ('running', 'done')),
  response_status integer,
  response_body jsonb,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (scope, key)
);
create index idx_idempotency_expires on platform.idempotency_keys (expires_at);
alter table platform.idempotency_keys enable row level security;
alter table platform.idempotency_keys force row level security;

-- Refresh tokens (stored hashed) for every app's sessions.
create table platform.refresh_tokens (
  id uuid primary key default gen_random_uuid(),
  app text not null,
  user_id uuid not null,
  role text not null,
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  replaced_by uuid
);
create index idx_refresh_tokens_user on platform.refresh_tokens (app, user_id);
create index idx_refresh_tokens_expires on platform.refresh_tokens (expires_at);
alter table platform.refresh_tokens enable row level security;
alter table platform.refresh_tokens force row level security;

-- Mail sent while no SMTP server is configured.
create table platform.dev_mailbox (
  id bigint generated always as identity primary key,
  sent_at timestamptz not null default now(),
  to_address text not null,
  subject text not null,
  text_body text not null,
  html_body text
);
create index idx_dev_mailbox_to on platform.dev_mailbox (lower(to_address), sent_at desc);
alter table platform.dev_mailbox enable row level security;
alter table platform.dev_mailbox force row level security;

-- migrate:down
drop table platform.dev_mailbox;
drop table platform.refresh_tokens;
drop table platform.idempotency_keys;
drop function platform.track_balance();
drop table platform.ledger_entries;
drop table platform.audit_log;
drop function platform.refuse_change();
drop function platform.touch_updated_at();
drop function platform.is_admin(text);
drop function platform.role();
drop function platform.uid();
drop function platform.claims();
revoke usage on schema platform from matchbase_user;
