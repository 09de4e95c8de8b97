-- Super likes per UTC day are limited by plan. Counting today's super_like rows in
-- user_interactions is not enough: a super like replaced by a pass (or removed by a block) leaves
-- no row, so "super like, pass, super like again" would send unlimited super likes. Each super
-- like sent is recorded here once and stays, whatever happens to the interaction afterwards.
-- migrate:up
create table bandsy.super_like_spends (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references bandsy.users (id) on delete cascade,
  to_user_id uuid not null references bandsy.users (id) on delete cascade,
  spent_at timestamptz not null default now()
);
create index super_like_spends_user_day_idx on bandsy.super_like_spends (user_id, spent_at);

alter table bandsy.super_like_spends enable row level security;
alter table bandsy.super_like_spends force row level security;
grant select, insert on bandsy.super_like_spends to matchbase_user;
-- A musician records and reads only their own spends; nobody edits or deletes one.
create policy super_like_spends_own on bandsy.super_like_spends for select to matchbase_user
  using (user_id = (select platform.uid()));
create policy super_like_spends_own_insert on bandsy.super_like_spends for insert to matchbase_user
  with check (user_id = (select platform.uid()));

-- migrate:down
drop table bandsy.super_like_spends;
