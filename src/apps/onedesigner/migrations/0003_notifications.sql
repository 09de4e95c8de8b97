-- Notifications (the seed's 20250816_create_notification_tables), in the shape the platform
-- notifier writes: one row per recipient, read state per row, realtime through NOTIFY.
-- migrate:up
create table onedesigner.notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null,
  type varchar(100) not null,
  title varchar(300) not null,
  body text,
  data jsonb not null default '{}'::jsonb,
  read_at timestamptz,
  created_at timestamptz not null default now()
);
create index idx_notifications_user on onedesigner.notifications (user_id, created_at desc);
create index idx_notifications_unread on onedesigner.notifications (user_id) where read_at is null;

create table onedesigner.notification_preferences (
  user_id uuid primary key,
  email_enabled boolean not null default true,
  muted_types text[] not null default array[]::text[],
  updated_at timestamptz not null default now()
);

alter table onedesigner.notifications enable row level security;
alter table onedesigner.notifications force row level security;
grant select on onedesigner.notifications to matchbase_user;
grant update (read_at) on onedesigner.notifications to matchbase_user;
create policy notifications_recipient on onedesigner.notifications for all to matchbase_user
  using (user_id = (select platform.uid())) with check (user_id = (select platform.uid()));

alter table onedesigner.notification_preferences enable row level security;
alter table onedesigner.notification_preferences force row level security;
grant select, insert, update on onedesigner.notification_preferences to matchbase_user;
create policy notification_preferences_own on onedesigner.notification_preferences for all to matchbase_user
  using (user_id = (select platform.uid())) with check (user_id = (select platform.uid()));

-- migrate:down
drop table onedesigner.notification_preferences;
drop table onedesigner.notifications;
