-- migrate:up
-- Buying subscriptions through the platform payment provider, and the rule that a cancelled
-- subscription keeps its features until its end_date (cancelling stops renewal, not the period
-- already paid for).

create table bandsy.subscription_purchases (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references bandsy.users (id) on delete cascade,
  plan_type varchar(50) not null check (plan_type in ('basic', 'premium', 'pro')),
  amount_cents integer not null check (amount_cents > 0),
  currency char(3) not null,
  provider varchar(20) not null,
  provider_payment_id varchar(255) unique,
  status varchar(20) not null default 'pending' check (status in ('pending', 'succeeded', 'failed', 'refunded')),
  failure_message text,
  -- The subscription this purchase started or extended; set when it succeeds.
  subscription_id uuid references bandsy.subscriptions (id) on delete set null,
  created_at timestamptz not null default now(),
  completed_at timestamptz
);
create index subscription_purchases_user_idx on bandsy.subscription_purchases (user_id, created_at desc);
create index subscription_purchases_pending_idx on bandsy.subscription_purchases (status) where status = 'pending';

-- A musician records their own purchase as pending and reads their own; only the payment flow
-- (owner role) settles it, so no one can mark their own payment succeeded.
alter table bandsy.subscription_purchases enable row level security;
alter table bandsy.subscription_purchases force row level security;
grant select, insert on bandsy.subscription_purchases to matchbase_user;
create policy subscription_purchases_own_read on bandsy.subscription_purchases for select to matchbase_user
  using (user_id = (select platform.uid()));
create policy subscription_purchases_own_insert on bandsy.subscription_purchases for insert to matchbase_user
  with check (user_id = (select platform.uid()) and status = 'pending' and provider_payment_id is null
              and subscription_id is null and completed_at is null and failure_message is null);

-- The plan a user holds at `at`: the best active or cancelled subscription whose period covers
-- it, else 'free'. A cancelled one needs an end_date (it cannot run forever).
create or replace function bandsy.plan_of(uid uuid, at timestamptz default now()) returns text
  language sql stable
  security definer
  set search_path = pg_catalog, bandsy
  as $$
  select coalesce((select s.plan_type from bandsy.subscriptions s
                    where s.user_id = uid and s.start_date <= at
                      and ((s.status = 'active' and (s.end_date is null or s.end_date > at))
                           or (s.status = 'cancelled' and s.end_date > at))
                    order by bandsy.plan_rank(s.plan_type) desc, s.start_date desc limit 1), 'free')
$$;

-- migrate:down
create or replace function bandsy.plan_of(uid uuid, at timestamptz default now()) returns text
  language sql stable
  security definer
  set search_path = pg_catalog, bandsy
  as $$
  select coalesce((select s.plan_type from bandsy.subscriptions s
                    where s.user_id = uid and s.status = 'active' and s.start_date <= at
                      and (s.end_date is null or s.end_date > at)
                    order by s.start_date desc limit 1), 'free')
$$;
drop table bandsy.subscription_purchases;
