-- auth_tokens and notifications are rebuilt by the platform's shape functions (platform 0002), so
-- every app's copy is the one shape with its RLS. Rows move into the new tables.
-- migrate:up
alter table bandsy.auth_tokens rename to auth_tokens_0008;
alter index bandsy.auth_tokens_pkey rename to auth_tokens_0008_pkey;
select platform.create_otp_codes_table('bandsy', array['musician']);
insert into bandsy.auth_tokens (id, email, code, type, purpose, expires_at, attempts, verified, verified_at, created_at, metadata)
  select id, email, code, type, purpose, expires_at, coalesce(attempts, 0), coalesce(verified, false), verified_at,
         coalesce(created_at, now()), coalesce(metadata, '{}'::jsonb)
  from bandsy.auth_tokens_0008;
drop table bandsy.auth_tokens_0008;

alter table bandsy.notifications rename to notifications_0008;
alter index bandsy.notifications_pkey rename to notifications_0008_pkey;
select platform.create_notifications_table('bandsy', 'bandsy.users');
insert into bandsy.notifications (id, user_id, type, title, body, data, read_at, created_at)
  select id, user_id, type, title, body, data, read_at, created_at from bandsy.notifications_0008;
drop table bandsy.notifications_0008;

-- migrate:down
-- The columns are the same; what differs from 0008 is indexes, nullability, the policy's app
-- check and the marking comment.
comment on table bandsy.notifications is null;
drop index bandsy.notifications_recipient_created_idx;
drop index bandsy.notifications_recipient_unread_idx;
create index notifications_user_idx on bandsy.notifications (user_id, created_at desc);
drop policy notifications_recipient on bandsy.notifications;
create policy notifications_recipient on bandsy.notifications for all to matchbase_user
  using (user_id = (select platform.uid())) with check (user_id = (select platform.uid()));

comment on table bandsy.auth_tokens is null;
drop index bandsy.auth_tokens_email_type_created_idx;
drop index bandsy.auth_tokens_expiry_idx;
alter table bandsy.auth_tokens
  alter column attempts drop not null,
  alter column verified drop not null,
  alter column created_at drop not null,
  alter column metadata drop not null;
create index auth_tokens_email_idx on bandsy.auth_tokens (email, type);
create index auth_tokens_expires_idx on bandsy.auth_tokens (expires_at);
