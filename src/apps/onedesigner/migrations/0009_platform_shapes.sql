-- auth_tokens (the seed's table, same columns) and notifications are rebuilt by the platform's
-- shape functions (platform 0002), so every app's copy is the one shape with its RLS, and the
-- seed's cleanup_expired_tokens runs the platform's cleanup. Rows move into the new tables.
-- The seed's columns stay; those it left nullable but that always get a value are now NOT NULL.
-- migrate:up
alter table onedesigner.auth_tokens rename to auth_tokens_0008;
alter index onedesigner.auth_tokens_pkey rename to auth_tokens_0008_pkey;
select platform.create_otp_codes_table('onedesigner', array['client', 'designer', 'admin']);
insert into onedesigner.auth_tokens (id, email, code, type, purpose, expires_at, attempts, verified, verified_at, created_at, metadata)
  select id, email, code, type, purpose, expires_at, coalesce(attempts, 0), coalesce(verified, false), verified_at,
         coalesce(created_at, now()), coalesce(metadata, '{}'::jsonb)
  from onedesigner.auth_tokens_0008;
drop table onedesigner.auth_tokens_0008;

create or replace function onedesigner.cleanup_expired_tokens(as_of timestamptz default now()) returns integer
  language sql
  as $$ select platform.cleanup_expired_otp_codes('onedesigner', as_of) $$;

alter table onedesigner.notifications rename to notifications_0008;
alter index onedesigner.notifications_pkey rename to notifications_0008_pkey;
select platform.create_notifications_table('onedesigner');
insert into onedesigner.notifications (id, user_id, type, title, body, data, read_at, created_at)
  select id, user_id, type, title, body, data, read_at, created_at from onedesigner.notifications_0008;
drop table onedesigner.notifications_0008;

-- migrate:down
-- The columns are the same; what differs from 0008 is indexes, nullability, the policy's app
-- check and the marking comment.
comment on table onedesigner.notifications is null;
drop index onedesigner.notifications_recipient_created_idx;
drop index onedesigner.notifications_recipient_unread_idx;
create index idx_notifications_user on onedesigner.notifications (user_id, created_at desc);
create index idx_notifications_unread on onedesigner.notifications (user_id) where read_at is null;
drop policy notifications_recipient on onedesigner.notifications;
create policy notifications_recipient on onedesigner.notifications for all to matchbase_user
  using (user_id = (select platform.uid())) with check (user_id = (select platform.uid()));

create or replace function onedesigner.cleanup_expired_tokens(as_of timestamptz default now()) returns integer
  language plpgsql
  as $$
declare n integer;
begin
  delete from onedesigner.auth_tokens where expires_at < as_of and verified = false;
  get diagnostics n = row_count;
  return n;
end $$;

comment on table onedesigner.auth_tokens is null;
drop index onedesigner.auth_tokens_email_type_created_idx;
drop index onedesigner.auth_tokens_expiry_idx;
alter table onedesigner.auth_tokens
  alter column attempts drop not null,
  alter column verified drop not null,
  alter column created_at drop not null,
  alter column metadata drop not null;
create index idx_auth_tokens_email on onedesigner.auth_tokens (email);
create index idx_auth_tokens_code on onedesigner.auth_tokens (code);
create index idx_auth_tokens_type_purpose on onedesigner.auth_tokens (type, purpose);
create index idx_auth_tokens_expires on onedesigner.auth_tokens (expires_at);
create index idx_auth_tokens_verified on onedesigner.auth_tokens (verified);
create index idx_auth_tokens_cleanup on onedesigner.auth_tokens (created_at) where verified = false;
