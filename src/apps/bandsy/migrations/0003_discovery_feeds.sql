-- Discovery pages come from a snapshot: the first page ranks the caller's candidates once and
-- stores their ids in order; later pages (cursor = feed id + position) read on from it, so new
-- musicians or moving scores never repeat or skip anyone between pages. A snapshot lives 30
-- minutes; the bandsy-expire-discovery-feeds job deletes it afterwards.
-- migrate:up
create table bandsy.discovery_feeds (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references bandsy.users (id) on delete cascade,
  candidate_ids uuid[] not null,
  origin_lat numeric(10, 8) not null,
  origin_lng numeric(11, 8) not null,
  radius_km integer not null check (radius_km between 1 and 1000),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  check (expires_at > created_at)
);
create index discovery_feeds_user_idx on bandsy.discovery_feeds (user_id);
create index discovery_feeds_expires_idx on bandsy.discovery_feeds (expires_at);

alter table bandsy.discovery_feeds enable row level security;
alter table bandsy.discovery_feeds force row level security;
grant select, insert, delete on bandsy.discovery_feeds to matchbase_user;
create policy discovery_feeds_own on bandsy.discovery_feeds for all to matchbase_user
  using (user_id = (select platform.uid())) with check (user_id = (select platform.uid()));

-- migrate:down
drop table bandsy.discovery_feeds;
