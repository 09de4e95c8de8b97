-- OneDesigner core schema, as the seed's DDL gives it, in schema onedesigner.
-- Differences from the seed, each for a reason (docs/apps/onedesigner.md):
--   * timestamptz instead of timestamp (docs/decisions/0002-timestamptz.md);
--   * auth_tokens.code holds an HMAC of the code, so it is 128 characters wide;
--   * status columns carry CHECKs listing the values the seed's comments name;
--   * clients.match_credits is CHECK (>= 0) and every change is written to the ledger.
-- migrate:up
create schema onedesigner;
grant usage on schema onedesigner to matchbase_user;

-- Seed function, kept under its seed name.
create function onedesigner.update_updated_at_column() returns trigger
  language plpgsql
  as $$
begin
  new.updated_at = now();
  return new;
end $$;

create table onedesigner.clients (
  id uuid primary key default gen_random_uuid(),
  email varchar(255) unique not null,
  first_name varchar(100),
  last_name varchar(100),
  match_credits integer default 0 check (match_credits >= 0),
  is_verified boolean default false,
  profile_completed boolean default false,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  metadata jsonb default '{}'::jsonb
);
create index idx_clients_email on onedesigner.clients (email);
create index idx_clients_credits on onedesigner.clients (match_credits);
create index idx_clients_verified on onedesigner.clients (is_verified);

create table onedesigner.designers (
  id uuid primary key default gen_random_uuid(),
  email varchar(255) unique not null,
  first_name varchar(100) not null,
  last_name varchar(100) not null,
  professional_title varchar(200),
  bio text,
  location varchar(200),
  avatar_url text,
  years_experience varchar(50),
  categories text[] default array[]::text[],
  industries_worked text[] default array[]::text[],
  design_styles text[] default array[]::text[],
  tools text[] default array[]::text[],
  skills text[] default array[]::text[],
  portfolio_url varchar(500),
  portfolio_images jsonb default '[]'::jsonb,
  case_studies jsonb default '[]'::jsonb,
  rate_range varchar(100),
  availability_status varchar(50) default 'available'
    check (availability_status in ('available', 'busy', 'unavailable')),
  working_hours varchar(200),
  timezone varchar(50),
  is_verified boolean default false,
  is_approved boolean default false,
  edited_after_approval boolean default false,
  last_approved_at timestamptz,
  rejection_reason text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_login_at timestamptz,
  metadata jsonb default '{}'::jsonb
);
create index idx_designers_email on onedesigner.designers (email);
create index idx_designers_approved on onedesigner.designers (is_approved);
create index idx_designers_verified on onedesigner.designers (is_verified);
create index idx_designers_categories on onedesigner.designers using gin (categories);
create index idx_designers_industries on onedesigner.designers using gin (industries_worked);
create index idx_designers_styles on onedesigner.designers using gin (design_styles);
create index idx_designers_updated on onedesigner.designers (updated_at);

create table onedesigner.admins (
  id uuid primary key default gen_random_uuid(),
  email varchar(255) unique not null,
  name varchar(200),
  created_at timestamptz default now(),
  last_login_at timestamptz
);

create table onedesigner.briefs (
  id uuid primary key default gen_random_uuid(),
  client_id uuid references onedesigner.clients (id) on delete cascade,
  project_type varchar(100) not null,
  industry varchar(100),
  budget varchar(50),
  timeline varchar(50),
  project_title varchar(200),
  project_description text,
  requirements text,
  target_audience text,
  additional_notes text,
  styles text[] default array[]::text[],
  deliverables text[] default array[]::text[],
  reference_materials jsonb default '[]'::jsonb,
  category_specific_fields jsonb default '{}'::jsonb,
  status varchar(50) default 'active' check (status in ('active', 'completed', 'cancelled')),
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  metadata jsonb default '{}'::jsonb
);
create index idx_briefs_client_id on onedesigner.briefs (client_id);
create index idx_briefs_project_type on onedesigner.briefs (project_type);
create index idx_briefs_industry on onedesigner.briefs (industry);
create index idx_briefs_status on onedesigner.briefs (status);
create index idx_briefs_created on onedesigner.briefs (created_at);
create index idx_briefs_styles on onedesigner.briefs using gin (styles);

create table onedesigner.matches (
  id uuid primary key default gen_random_uuid(),
  client_id uuid references onedesigner.clients (id) on delete cascade,
  designer_id uuid references onedesigner.designers (id) on delete cascade,
  brief_id uuid references onedesigner.briefs (id) on delete cascade,
  score integer not null check (score >= 50 and score <= 85),
  reasons text[] not null,
  ai_message text,
  ai_analysis jsonb default '{}'::jsonb,
  match_version varchar(20) default 'v1',
  ai_provider varchar(50) default 'deepseek',
  processing_time integer,
  tokens_used integer,
  status varchar(50) default 'active' check (status in ('active', 'unlocked', 'expired')),
  unlocked_at timestamptz,
  expires_at timestamptz,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  metadata jsonb default '{}'::jsonb,
  unique (client_id, designer_id, brief_id)
);
create index idx_matches_client_id on onedesigner.matches (client_id);
create index idx_matches_designer_id on onedesigner.matches (designer_id);
create index idx_matches_brief_id on onedesigner.matches (brief_id);
create index idx_matches_status on onedesigner.matches (status);
create index idx_matches_score on onedesigner.matches (score desc);
create index idx_matches_created on onedesigner.matches (created_at desc);
create index idx_matches_expires on onedesigner.matches (expires_at);
create index idx_matches_composite on onedesigner.matches (client_id, status, score desc);

create table onedesigner.client_designers (
  id uuid primary key default gen_random_uuid(),
  client_id uuid references onedesigner.clients (id) on delete cascade,
  designer_id uuid references onedesigner.designers (id) on delete cascade,
  match_id uuid references onedesigner.matches (id) on delete set null,
  unlocked_via varchar(50) default 'credit' check (unlocked_via in ('credit', 'package', 'admin')),
  credits_used integer default 1 check (credits_used >= 0),
  unlock_reason text,
  unlocked_at timestamptz default now(),
  created_at timestamptz default now(),
  metadata jsonb default '{}'::jsonb,
  unique (client_id, designer_id)
);
create index idx_client_designers_client on onedesigner.client_designers (client_id);
create index idx_client_designers_designer on onedesigner.client_designers (designer_id);
create index idx_client_designers_unlocked on onedesigner.client_designers (unlocked_at desc);

create table onedesigner.project_requests (
  id uuid primary key default gen_random_uuid(),
  match_id uuid references onedesigner.matches (id) on delete cascade,
  client_id uuid references onedesigner.clients (id) on delete cascade,
  designer_id uuid references onedesigner.designers (id) on delete cascade,
  message text not null,
  client_email varchar(255),
  brief_snapshot jsonb not null,
  status varchar(50) default 'pending' check (status in ('pending', 'accepted', 'declined', 'expired')),
  response_deadline timestamptz not null,
  viewed_at timestamptz,
  responded_at timestamptz,
  response_message text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  metadata jsonb default '{}'::jsonb
);
create index idx_project_requests_match on onedesigner.project_requests (match_id);
create index idx_project_requests_client on onedesigner.project_requests (client_id);
create index idx_project_requests_designer on onedesigner.project_requests (designer_id);
create index idx_project_requests_status on onedesigner.project_requests (status);
create index idx_project_requests_deadline on onedesigner.project_requests (response_deadline);
create index idx_project_requests_created on onedesigner.project_requests (created_at desc);
-- One open request per client and designer at a time.
create unique index uq_project_requests_pending on onedesigner.project_requests (client_id, designer_id)
  where status = 'pending';

create table onedesigner.auth_tokens (
  id uuid primary key default gen_random_uuid(),
  email varchar(255) not null,
  code varchar(128) not null,
  type varchar(20) not null check (type in ('client', 'designer', 'admin')),
  purpose varchar(20) not null check (purpose in ('login', 'signup', 'reset', 'verify')),
  expires_at timestamptz not null,
  attempts integer default 0,
  verified boolean default false,
  verified_at timestamptz,
  created_at timestamptz default now(),
  metadata jsonb default '{}'::jsonb
);
create index idx_auth_tokens_email on onedesigner.auth_tokens (email);
create index idx_auth_tokens_code on onedesigner.auth_tokens (code);
create index idx_auth_tokens_type_purpose on onedesigner.auth_tokens (type, purpose);
create index idx_auth_tokens_expires on onedesigner.auth_tokens (expires_at);
create index idx_auth_tokens_verified on onedesigner.auth_tokens (verified);
create index idx_auth_tokens_cleanup on onedesigner.auth_tokens (created_at) where verified = false;

create table onedesigner.designer_embeddings (
  id uuid primary key default gen_random_uuid(),
  designer_id uuid references onedesigner.designers (id) on delete cascade unique,
  embedding float8[] not null,
  model_version varchar(50) default 'text-embedding-3-small',
  generated_at timestamptz default now(),
  updated_at timestamptz default now(),
  needs_update boolean default false,
  metadata jsonb default '{}'::jsonb
);
create index idx_embeddings_designer on onedesigner.designer_embeddings (designer_id);
create index idx_embeddings_updated on onedesigner.designer_embeddings (updated_at);
create index idx_embeddings_needs_update on onedesigner.designer_embeddings (needs_update);

create table onedesigner.match_cache (
  id uuid primary key default gen_random_uuid(),
  brief_id uuid references onedesigner.briefs (id) on delete cascade,
  designer_id uuid references onedesigner.designers (id) on delete cascade,
  score integer not null,
  reasons text[] not null,
  message text,
  ai_analysis jsonb default '{}'::jsonb,
  expires_at timestamptz not null,
  created_at timestamptz default now(),
  generation_time integer,
  cache_hits integer default 0,
  unique (brief_id, designer_id)
);
create index idx_match_cache_brief on onedesigner.match_cache (brief_id);
create index idx_match_cache_designer on onedesigner.match_cache (designer_id);
create index idx_match_cache_expires on onedesigner.match_cache (expires_at);
create index idx_match_cache_score on onedesigner.match_cache (score desc);

-- Seed cleanup functions; as_of lets jobs and tests act at a chosen time.
create function onedesigner.cleanup_expired_cache(as_of timestamptz default now()) returns integer
  language plpgsql
  as $$
declare n integer;
begin
  delete from onedesigner.match_cache where expires_at < as_of;
  get diagnostics n = row_count;
  return n;
end $$;

create function onedesigner.cleanup_expired_tokens(as_of timestamptz default now()) returns integer
  language plpgsql
  as $$
declare n integer;
begin
  delete from onedesigner.auth_tokens where expires_at < as_of and verified = false;
  get diagnostics n = row_count;
  return n;
end $$;

create function onedesigner.cleanup_expired_matches(as_of timestamptz default now()) returns integer
  language plpgsql
  as $$
declare n integer;
begin
  update onedesigner.matches set status = 'expired' where expires_at < as_of and status = 'active';
  get diagnostics n = row_count;
  return n;
end $$;

create function onedesigner.expire_project_requests(as_of timestamptz default now()) returns integer
  language plpgsql
  as $$
declare n integer;
begin
  update onedesigner.project_requests set status = 'expired'
  where response_deadline < as_of and status = 'pending';
  get diagnostics n = row_count;
  return n;
end $$;

create materialized view onedesigner.designer_quick_stats as
select
  d.id as designer_id,
  d.first_name,
  d.last_name,
  d.professional_title,
  d.avatar_url,
  d.is_approved,
  d.is_verified,
  d.categories,
  d.design_styles,
  d.availability_status,
  d.created_at,
  d.updated_at,
  d.edited_after_approval,
  coalesce(match_stats.total_matches, 0) as total_matches,
  coalesce(match_stats.avg_score, 0) as avg_match_score,
  coalesce(request_stats.pending_requests, 0) as pending_requests,
  coalesce(request_stats.accepted_requests, 0) as accepted_requests,
  case
    when d.is_approved and d.is_verified then 100
    when d.is_approved then 80
    when d.is_verified then 60
    else 40
  end as priority_score
from onedesigner.designers d
left join (
  select designer_id, count(*) as total_matches, avg(score) as avg_score
  from onedesigner.matches
  where created_at > now() - interval '30 days'
  group by designer_id
) match_stats on d.id = match_stats.designer_id
left join (
  select designer_id,
    count(*) filter (where status = 'pending') as pending_requests,
    count(*) filter (where status = 'accepted') as accepted_requests
  from onedesigner.project_requests
  where created_at > now() - interval '30 days'
  group by designer_id
) request_stats on d.id = request_stats.designer_id;

-- Unique index so the hourly refresh can run CONCURRENTLY (readers are never blocked).
create unique index idx_quick_stats_designer on onedesigner.designer_quick_stats (designer_id);
create index idx_quick_stats_approved on onedesigner.designer_quick_stats (is_approved, priority_score desc);
create index idx_quick_stats_categories on onedesigner.designer_quick_stats using gin (categories);
create index idx_quick_stats_matches on onedesigner.designer_quick_stats (total_matches desc);

create function onedesigner.refresh_designer_stats() returns void
  language plpgsql
  as $$
begin
  refresh materialized view onedesigner.designer_quick_stats;
end $$;

-- Triggers --------------------------------------------------------------------------------

create trigger update_clients_updated_at before update on onedesigner.clients
  for each row execute function onedesigner.update_updated_at_column();
create trigger update_designers_updated_at before update on onedesigner.designers
  for each row execute function onedesigner.update_updated_at_column();
create trigger update_briefs_updated_at before update on onedesigner.briefs
  for each row execute function onedesigner.update_updated_at_column();
create trigger update_matches_updated_at before update on onedesigner.matches
  for each row execute function onedesigner.update_updated_at_column();
create trigger update_project_requests_updated_at before update on onedesigner.project_requests
  for each row execute function onedesigner.update_updated_at_column();

-- The seed's edit tracking, NULL-safe (the seed's != misses edits from or to NULL) and over
-- every profile field a client judges a designer by.
create function onedesigner.track_designer_edits() returns trigger
  language plpgsql
  as $$
begin
  if old.is_approved = true and new.is_approved = true and (
    old.first_name is distinct from new.first_name or
    old.last_name is distinct from new.last_name or
    old.professional_title is distinct from new.professional_title or
    old.bio is distinct from new.bio or
    old.categories is distinct from new.categories or
    old.portfolio_url is distinct from new.portfolio_url or
    old.industries_worked is distinct from new.industries_worked or
    old.design_styles is distinct from new.design_styles or
    old.tools is distinct from new.tools or
    old.skills is distinct from new.skills or
    old.portfolio_images is distinct from new.portfolio_images or
    old.case_studies is distinct from new.case_studies or
    old.rate_range is distinct from new.rate_range or
    old.years_experience is distinct from new.years_experience
  ) then
    new.edited_after_approval = true;
  end if;
  return new;
end $$;
create trigger track_designer_profile_edits before update on onedesigner.designers
  for each row execute function onedesigner.track_designer_edits();

-- Only admins change the approval workflow columns (user-facing requests run as matchbase_user).
create function onedesigner.guard_designer_approval() returns trigger
  language plpgsql
  as $$
begin
  if current_user = 'matchbase_user' and not platform.is_admin('onedesigner') and (
    old.is_approved is distinct from new.is_approved or
    old.is_verified is distinct from new.is_verified or
    old.last_approved_at is distinct from new.last_approved_at or
    old.rejection_reason is distinct from new.rejection_reason or
    (old.edited_after_approval is distinct from new.edited_after_approval and new.edited_after_approval = false)
  ) then
    raise exception 'only an admin may change the approval of a designer' using errcode = 'insufficient_privilege';
  end if;
  return new;
end $$;
create trigger guard_designer_approval before update on onedesigner.designers
  for each row execute function onedesigner.guard_designer_approval();

-- A profile edit makes the stored embedding stale.
create function onedesigner.mark_embedding_stale() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, onedesigner
  as $$
begin
  if old.bio is distinct from new.bio or
     old.professional_title is distinct from new.professional_title or
     old.categories is distinct from new.categories or
     old.industries_worked is distinct from new.industries_worked or
     old.design_styles is distinct from new.design_styles or
     old.tools is distinct from new.tools or
     old.skills is distinct from new.skills then
    update onedesigner.designer_embeddings set needs_update = true where designer_id = new.id;
  end if;
  return new;
end $$;
create trigger mark_designer_embedding_stale after update on onedesigner.designers
  for each row execute function onedesigner.mark_embedding_stale();

create trigger clients_credit_ledger after insert or update of match_credits on onedesigner.clients
  for each row execute function platform.track_balance('match_credits');

-- Row-level security -----------------------------------------------------------------------
-- Every table: enabled and forced. Policies read the request's claims through platform.uid()
-- and platform.role(); admins act under RLS too, through policies of their own.

alter table onedesigner.clients enable row level security;
alter table onedesigner.clients force row level security;
grant select on onedesigner.clients to matchbase_user;
grant update (first_name, last_name, profile_completed, metadata, match_credits) on onedesigner.clients to matchbase_user;
create policy "Clients can view their own data" on onedesigner.clients for all to matchbase_user
  using (id = (select platform.uid())) with check (id = (select platform.uid()));
create policy clients_admin_read on onedesigner.clients for select to matchbase_user
  using ((select platform.is_admin('onedesigner')));

alter table onedesigner.designers enable row level security;
alter table onedesigner.designers force row level security;
grant select, update on onedesigner.designers to matchbase_user;
create policy "Clients can view approved designers" on onedesigner.designers for select to matchbase_user
  using (is_approved = true);
create policy "Designers can view their own data" on onedesigner.designers for all to matchbase_user
  using (id = (select platform.uid())) with check (id = (select platform.uid()));
create policy designers_admin_all on onedesigner.designers for all to matchbase_user
  using ((select platform.is_admin('onedesigner'))) with check ((select platform.is_admin('onedesigner')));

alter table onedesigner.admins enable row level security;
alter table onedesigner.admins force row level security;
grant select on onedesigner.admins to matchbase_user;
create policy admins_read_self on onedesigner.admins for select to matchbase_user
  using (id = (select platform.uid()) and (select platform.is_admin('onedesigner')));

alter table onedesigner.briefs enable row level security;
alter table onedesigner.briefs force row level security;
grant select, insert, update, delete on onedesigner.briefs to matchbase_user;
create policy briefs_client_own on onedesigner.briefs for all to matchbase_user
  using (client_id = (select platform.uid())) with check (client_id = (select platform.uid()));
create policy briefs_admin_read on onedesigner.briefs for select to matchbase_user
  using ((select platform.is_admin('onedesigner')));

alter table onedesigner.matches enable row level security;
alter table onedesigner.matches force row level security;
grant select, insert, update on onedesigner.matches to matchbase_user;
create policy "Clients can view their matches" on onedesigner.matches for select to matchbase_user
  using (client_id = (select platform.uid()));
create policy matches_client_insert on onedesigner.matches for insert to matchbase_user
  with check (client_id = (select platform.uid())
              and exists (select 1 from onedesigner.briefs b where b.id = brief_id and b.client_id = (select platform.uid())));
create policy matches_client_update on onedesigner.matches for update to matchbase_user
  using (client_id = (select platform.uid())) with check (client_id = (select platform.uid()));
create policy matches_admin_read on onedesigner.matches for select to matchbase_user
  using ((select platform.is_admin('onedesigner')));

alter table onedesigner.client_designers enable row level security;
alter table onedesigner.client_designers force row level security;
grant select, insert on onedesigner.client_designers to matchbase_user;
create policy client_designers_client_own on onedesigner.client_designers for select to matchbase_user
  using (client_id = (select platform.uid()));
create policy client_designers_client_insert on onedesigner.client_designers for insert to matchbase_user
  with check (client_id = (select platform.uid()));
create policy client_designers_designer_read on onedesigner.client_designers for select to matchbase_user
  using (designer_id = (select platform.uid()));
create policy client_designers_admin_read on onedesigner.client_designers for select to matchbase_user
  using ((select platform.is_admin('onedesigner')));

alter table onedesigner.project_requests enable row level security;
alter table onedesigner.project_requests force row level security;
grant select, insert on onedesigner.project_requests to matchbase_user;
grant update (status, viewed_at, responded_at, response_message, client_email, metadata) on onedesigner.project_requests to matchbase_user;
create policy project_requests_client_read on onedesigner.project_requests for select to matchbase_user
  using (client_id = (select platform.uid()));
create policy project_requests_client_insert on onedesigner.project_requests for insert to matchbase_user
  with check (client_id = (select platform.uid())
              and exists (select 1 from onedesigner.client_designers cd
                          where cd.client_id = (select platform.uid()) and cd.designer_id = project_requests.designer_id));
create policy project_requests_designer_read on onedesigner.project_requests for select to matchbase_user
  using (designer_id = (select platform.uid()));
create policy project_requests_designer_update on onedesigner.project_requests for update to matchbase_user
  using (designer_id = (select platform.uid())) with check (designer_id = (select platform.uid()));
create policy project_requests_admin_read on onedesigner.project_requests for select to matchbase_user
  using ((select platform.is_admin('onedesigner')));

-- OTP rows are only ever touched by the auth service on the owner role.
alter table onedesigner.auth_tokens enable row level security;
alter table onedesigner.auth_tokens force row level security;

alter table onedesigner.designer_embeddings enable row level security;
alter table onedesigner.designer_embeddings force row level security;
grant select on onedesigner.designer_embeddings to matchbase_user;
create policy embeddings_of_visible_designers on onedesigner.designer_embeddings for select to matchbase_user
  using (exists (select 1 from onedesigner.designers d where d.id = designer_id));

alter table onedesigner.match_cache enable row level security;
alter table onedesigner.match_cache force row level security;
grant select, insert, update, delete on onedesigner.match_cache to matchbase_user;
create policy match_cache_brief_owner on onedesigner.match_cache for all to matchbase_user
  using (exists (select 1 from onedesigner.briefs b where b.id = brief_id and b.client_id = (select platform.uid())))
  with check (exists (select 1 from onedesigner.briefs b where b.id = brief_id and b.client_id = (select platform.uid())));

-- A materialized view cannot carry RLS: users read their own row through this view.
create view onedesigner.my_designer_stats with (security_barrier) as
  select * from onedesigner.designer_quick_stats where designer_id = platform.uid();
grant select on onedesigner.my_designer_stats to matchbase_user;

-- migrate:down
drop view onedesigner.my_designer_stats;
drop function onedesigner.refresh_designer_stats();
drop materialized view onedesigner.designer_quick_stats;
drop table onedesigner.match_cache;
drop table onedesigner.designer_embeddings;
drop table onedesigner.auth_tokens;
drop table onedesigner.project_requests;
drop table onedesigner.client_designers;
drop table onedesigner.matches;
drop table onedesigner.briefs;
drop table onedesigner.admins;
drop table onedesigner.designers;
drop table onedesigner.clients;
drop function onedesigner.mark_embedding_stale();
drop function onedesigner.guard_designer_approval();
drop function onedesigner.track_designer_edits();
drop function onedesigner.expire_project_requests(timestamptz);
drop function onedesigner.cleanup_expired_matches(timestamptz);
drop function onedesigner.cleanup_expired_tokens(timestamptz);
drop function onedesigner.cleanup_expired_cache(timestamptz);
drop function onedesigner.update_updated_at_column();
drop schema onedesigner;
