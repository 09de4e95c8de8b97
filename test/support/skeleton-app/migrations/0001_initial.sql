-- The skeleton app (test-only, docs/decisions/0017): the least an app on the platform needs.
-- Members sign in by emailed code, keep notes only they see, and buy credits.
-- migrate:up
create schema if not exists skeleton;
grant usage on schema skeleton to matchbase_user;

create table skeleton.users (
  id uuid primary key default gen_random_uuid(),
  email varchar(255) not null unique,
  credits integer not null default 0 check (credits >= 0),
  created_at timestamptz not null default now()
);
-- Accounts are made by the sign-in service (owner role); a member reads only their own.
alter table skeleton.users enable row level security;
alter table skeleton.users force row level security;
grant select on skeleton.users to matchbase_user;
create policy users_self on skeleton.users for select to matchbase_user using (id = (select platform.uid()));

create table skeleton.notes (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references skeleton.users (id) on delete cascade,
  body text not null check (length(body) between 1 and 2000),
  created_at timestamptz not null default now()
);
create index notes_owner_idx on skeleton.notes (owner_id, created_at desc);
alter table skeleton.notes enable row level security;
alter table skeleton.notes force row level security;
grant select, insert, update (body), delete on skeleton.notes to matchbase_user;
create policy notes_own on skeleton.notes for all to matchbase_user
  using (owner_id = (select platform.uid())) with check (owner_id = (select platform.uid()));

select platform.create_otp_codes_table('skeleton', array['member']);
select platform.create_notifications_table('skeleton', 'skeleton.users');

-- The platform purchase flow's shared columns (src/platform/ledger/purchases.ts) plus the product.
create table skeleton.credit_purchases (
  id uuid primary key,
  user_id uuid not null references skeleton.users (id) on delete cascade,
  credits integer not null check (credits > 0),
  amount_cents integer not null check (amount_cents > 0),
  currency char(3) not null,
  provider varchar(20) not null,
  provider_payment_id varchar(255) unique,
  status varchar(20) not null default 'pending' check (status in ('pending', 'succeeded', 'failed', 'refunded')),
  failure_message text,
  created_at timestamptz not null default now(),
  completed_at timestamptz
);
create index credit_purchases_user_idx on skeleton.credit_purchases (user_id, created_at desc);
-- A member records a pending purchase and reads theirs; only the flow (owner role) settles one.
alter table skeleton.credit_purchases enable row level security;
alter table skeleton.credit_purchases force row level security;
grant select, insert on skeleton.credit_purchases to matchbase_user;
create policy credit_purchases_own_read on skeleton.credit_purchases for select to matchbase_user
  using (user_id = (select platform.uid()));
create policy credit_purchases_own_insert on skeleton.credit_purchases for insert to matchbase_user
  with check (user_id = (select platform.uid()) and status = 'pending' and provider_payment_id is null
              and completed_at is null and failure_message is null);

-- migrate:down
drop schema skeleton cascade;
