-- Credit packages and purchases (the seed's 003_payments_and_credits). Balances live in
-- clients.match_credits; every movement is a row of platform.ledger_entries.
-- migrate:up
create table onedesigner.credit_packages (
  id varchar(50) primary key,
  name varchar(100) not null,
  credits integer not null check (credits > 0),
  price_cents integer not null check (price_cents > 0),
  currency char(3) not null default 'usd',
  active boolean not null default true,
  sort_order integer not null default 0,
  created_at timestamptz not null default now()
);

create table onedesigner.credit_purchases (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references onedesigner.clients (id) on delete cascade,
  package_id varchar(50) not null references onedesigner.credit_packages (id),
  credits integer not null check (credits > 0),
  amount_cents integer not null check (amount_cents > 0),
  currency char(3) not null,
  provider varchar(20) not null,
  provider_payment_id varchar(255) unique,
  status varchar(20) not null default 'pending' check (status in ('pending', 'succeeded', 'failed', 'refunded')),
  failure_message text,
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  metadata jsonb not null default '{}'::jsonb
);
create index idx_credit_purchases_client on onedesigner.credit_purchases (client_id, created_at desc);
create index idx_credit_purchases_status on onedesigner.credit_purchases (status) where status = 'pending';

alter table onedesigner.credit_packages enable row level security;
alter table onedesigner.credit_packages force row level security;
grant select on onedesigner.credit_packages to matchbase_user;
create policy credit_packages_public on onedesigner.credit_packages for select to matchbase_user using (active);

alter table onedesigner.credit_purchases enable row level security;
alter table onedesigner.credit_purchases force row level security;
grant select, insert on onedesigner.credit_purchases to matchbase_user;
grant update (status, provider_payment_id, failure_message, completed_at) on onedesigner.credit_purchases to matchbase_user;
create policy credit_purchases_client_own on onedesigner.credit_purchases for all to matchbase_user
  using (client_id = (select platform.uid())) with check (client_id = (select platform.uid()));
create policy credit_purchases_admin_read on onedesigner.credit_purchases for select to matchbase_user
  using ((select platform.is_admin('onedesigner')));

insert into onedesigner.credit_packages (id, name, credits, price_cents, currency, sort_order) values
  ('starter', 'Starter', 3, 2900, 'usd', 1),
  ('growth', 'Growth', 10, 7900, 'usd', 2),
  ('scale', 'Scale', 30, 19900, 'usd', 3);

-- migrate:down
drop table onedesigner.credit_purchases;
drop table onedesigner.credit_packages;
