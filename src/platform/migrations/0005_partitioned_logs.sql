-- Log tables partitioned by month (docs/operations.md, "Partitioned logs"): platform.audit_log,
-- and the new platform.access_log and platform.user_activity. Rows leave them only when a whole
-- monthly partition past retention is dropped (job platform-log-partitions); every role is refused
-- UPDATE, DELETE and TRUNCATE, on the parent and on each partition. A default partition catches
-- rows of a month with no partition yet (maintenance late, a clock far off); the job moves them
-- into their month's partition when it creates it.
-- migrate:up

-- Each partition gets what a partition does not inherit: row-level security, the parent's policies
-- and the TRUNCATE guard (row triggers are cloned by Postgres itself).
create function platform.guard_log_partition(part regclass, parent regclass) returns void
  language plpgsql
  as $$
declare
  p record;
begin
  execute format('alter table %s enable row level security', part);
  execute format('alter table %s force row level security', part);
  for p in
    select pol.* from pg_policies pol join pg_class c on c.relname = pol.tablename
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = pol.schemaname
    where c.oid = parent
  loop
    execute format('create policy %I on %s as %s for %s to %s %s %s', p.policyname, part, p.permissive, p.cmd,
      (select string_agg(quote_ident(r), ', ') from unnest(p.roles) r),
      case when p.qual is null then '' else format('using (%s)', p.qual) end,
      case when p.with_check is null then '' else format('with check (%s)', p.with_check) end);
  end loop;
  execute format('create trigger %I before truncate on %s for each statement execute function platform.refuse_change()',
    'no_truncate', part);
end $$;

-- The partition of `parent` (range-partitioned on a timestamptz) for the month holding `month`,
-- named <parent>_pYYYYMM; false when it already exists. Rows of that month waiting in the default
-- partition move into it.
create function platform.ensure_log_partition(parent regclass, month timestamptz) returns boolean
  language plpgsql
  as $$
declare
  schema_name text;
  table_name text;
  key_column text;
  start_at timestamptz := date_trunc('month', month, 'UTC');
  end_at timestamptz := date_trunc('month', month, 'UTC') + interval '1 month';
  part_name text;
  default_name text;
  waiting boolean := false;
begin
  select n.nspname, c.relname into schema_name, table_name
  from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = parent;
  select a.attname into key_column from pg_partitioned_table pt
  join pg_attribute a on a.attrelid = pt.partrelid and a.attnum = pt.partattrs[0]
  where pt.partrelid = parent;
  part_name := format('%s_p%s', table_name, to_char(start_at at time zone 'UTC', 'YYYYMM'));
  default_name := table_name || '_default';
  if to_regclass(format('%I.%I', schema_name, part_name)) is not null then
    return false;
  end if;
  if to_regclass(format('%I.%I', schema_name, default_name)) is not null then
    execute format('select exists (select 1 from %I.%I where %I >= $1 and %I < $2)', schema_name, default_name, key_column, key_column)
      into waiting using start_at, end_at;
  end if;
  if waiting then
    -- Postgres refuses a partition whose rows sit in the default one: swap in a new, empty default,
    -- create the month, and route the waiting rows again through the parent.
    execute format('alter table %I.%I detach partition %I.%I', schema_name, table_name, schema_name, default_name);
    execute format('alter table %I.%I rename to %I', schema_name, default_name, default_name || '_moving');
    execute format('create table %I.%I partition of %I.%I default', schema_name, default_name, schema_name, table_name);
    perform platform.guard_log_partition(format('%I.%I', schema_name, default_name)::regclass, parent);
  end if;
  execute format('create table %I.%I partition of %I.%I for values from (%L) to (%L)',
    schema_name, part_name, schema_name, table_name, start_at, end_at);
  perform platform.guard_log_partition(format('%I.%I', schema_name, part_name)::regclass, parent);
  if waiting then
    execute format('insert into %I.%I overriding system value select * from %I.%I',
      schema_name, table_name, schema_name, default_name || '_moving');
    execute format('drop table %I.%I', schema_name, default_name || '_moving');
  end if;
  return true;
end $$;

-- Audit log, now partitioned. Same columns, indexes, grants, policy and append-only triggers as
-- platform 0001; the primary key must hold the partition key, so it is (id, at).
alter table platform.audit_log rename to audit_log_unpartitioned;
alter index platform.audit_log_pkey rename to audit_log_unpartitioned_pkey;
alter index platform.idx_audit_log_subject rename to idx_audit_log_unpartitioned_subject;
alter index platform.idx_audit_log_actor rename to idx_audit_log_unpartitioned_actor;
alter index platform.idx_audit_log_at rename to idx_audit_log_unpartitioned_at;
create table platform.audit_log (
  id bigint generated always as identity,
  at timestamptz not null default now(),
  app text not null,
  actor_id uuid,
  actor_role text,
  action text not null,
  subject_type text,
  subject_id text,
  data jsonb not null default '{}'::jsonb,
  request_id text,
  primary key (id, at)
) partition by range (at);
create index idx_audit_log_subject on platform.audit_log (app, subject_type, subject_id);
create index idx_audit_log_actor on platform.audit_log (actor_id, at desc);
create index idx_audit_log_at on platform.audit_log (at desc);
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

-- Access log: one row per answered request, written in batches by the HTTP layer. Errors (5xx)
-- are kept 90 days and the rest 30, so the two live in sub-tables each dropped by its own months.
create table platform.access_log (
  id bigint generated always as identity,
  at timestamptz not null,
  app text,
  method text not null,
  -- The route pattern (/v1/bandsy/users/:id), never the URL: no ids, no query string.
  route text not null,
  status smallint not null,
  duration_ms real not null,
  user_id uuid,
  request_id text
) partition by list ((status >= 500));
create table platform.access_log_requests partition of platform.access_log for values in (false) partition by range (at);
create table platform.access_log_errors partition of platform.access_log for values in (true) partition by range (at);
create index idx_access_log_at on platform.access_log (at desc);
create index idx_access_log_user on platform.access_log (user_id, at desc) where user_id is not null;

-- Sign-ins and account deletions, per app and user.
create table platform.user_activity (
  id bigint generated always as identity,
  at timestamptz not null,
  app text not null,
  user_id uuid not null,
  action text not null check (action in ('sign_in', 'account_delete')),
  request_id text,
  primary key (id, at)
) partition by range (at);
create index idx_user_activity_user on platform.user_activity (app, user_id, at desc);
create index idx_user_activity_at on platform.user_activity (at desc);

create trigger access_log_append_only
  before update or delete on platform.access_log
  for each row execute function platform.refuse_change();
create trigger access_log_no_truncate
  before truncate on platform.access_log
  for each statement execute function platform.refuse_change();
create trigger user_activity_append_only
  before update or delete on platform.user_activity
  for each row execute function platform.refuse_change();
create trigger user_activity_no_truncate
  before truncate on platform.user_activity
  for each statement execute function platform.refuse_change();

-- Admin-only: an app's admins read their app's rows; only the platform (owner role) writes.
alter table platform.access_log enable row level security;
alter table platform.access_log force row level security;
alter table platform.user_activity enable row level security;
alter table platform.user_activity force row level security;
grant select on platform.access_log, platform.user_activity to matchbase_user;
create policy access_log_admin on platform.access_log for select to matchbase_user using (platform.is_admin(app));
create policy user_activity_admin on platform.user_activity for select to matchbase_user using (platform.is_admin(app));
select platform.guard_log_partition('platform.access_log_requests', 'platform.access_log');
select platform.guard_log_partition('platform.access_log_errors', 'platform.access_log');

create table platform.audit_log_default partition of platform.audit_log default;
select platform.guard_log_partition('platform.audit_log_default', 'platform.audit_log');
create table platform.access_log_requests_default partition of platform.access_log_requests default;
select platform.guard_log_partition('platform.access_log_requests_default', 'platform.access_log');
create table platform.access_log_errors_default partition of platform.access_log_errors default;
select platform.guard_log_partition('platform.access_log_errors_default', 'platform.access_log');
create table platform.user_activity_default partition of platform.user_activity default;
select platform.guard_log_partition('platform.user_activity_default', 'platform.user_activity');

-- The rows so far, into their months (identity values kept), then the next months ahead. The
-- months are made first, read from the old table (which nothing here changes), so the copy lands
-- in its partitions and the default one stays empty.
select platform.ensure_log_partition('platform.audit_log', m)
from (select distinct date_trunc('month', at, 'UTC') as m from platform.audit_log_unpartitioned) months;
insert into platform.audit_log overriding system value select * from platform.audit_log_unpartitioned;
select setval(pg_get_serial_sequence('platform.audit_log', 'id'), coalesce((select max(id) from platform.audit_log), 0) + 1, false);
drop table platform.audit_log_unpartitioned;
select platform.ensure_log_partition(t::regclass, now() + make_interval(months => ahead))
from unnest(array['platform.audit_log', 'platform.access_log_requests', 'platform.access_log_errors', 'platform.user_activity']) t,
     generate_series(0, 3) ahead;

-- migrate:down
drop table platform.user_activity;
drop table platform.access_log;
alter table platform.audit_log rename to audit_log_partitioned;
alter index platform.idx_audit_log_subject rename to idx_audit_log_partitioned_subject;
alter index platform.idx_audit_log_actor rename to idx_audit_log_partitioned_actor;
alter index platform.idx_audit_log_at rename to idx_audit_log_partitioned_at;
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
insert into platform.audit_log overriding system value select * from platform.audit_log_partitioned order by id;
select setval(pg_get_serial_sequence('platform.audit_log', 'id'), coalesce((select max(id) from platform.audit_log), 0) + 1, false);
drop table platform.audit_log_partitioned;
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
drop function platform.ensure_log_partition(regclass, timestamptz);
drop function platform.guard_log_partition(regclass, regclass);
