-- Tables the platform's services rely on, defined once: an app's migration calls
--   select platform.create_otp_codes_table('<app>', array['<type>', ...]);
--   select platform.create_notifications_table('<app>', '<app>.users');   -- or null: no foreign key
-- and gets <app>.auth_tokens (the OTP service's codes, with the columns OneDesigner's seed names)
-- and <app>.notifications (the notifier's rows), with their indexes, row-level security, grants
-- and policies. They stay per app, in the app's schema (docs/decisions/0011-platform-owned-tables.md).
-- The notifier writes through platform.send_notification (security definer) instead of leaving the
-- user role in the middle of the user's transaction.
-- migrate:up
create function platform.create_otp_codes_table(app text, types text[]) returns void
  language plpgsql
  as $$
begin
  if cardinality(types) = 0 then
    raise exception 'an OTP table needs at least one account type' using errcode = 'invalid_parameter_value';
  end if;
  execute format($ddl$
    create table %1$I.auth_tokens (
      id uuid primary key default gen_random_uuid(),
      email varchar(255) not null,
      code varchar(128) not null,
      type varchar(20) not null check (type = any (%2$L::text[])),
      purpose varchar(20) not null check (purpose in ('login', 'signup', 'reset', 'verify')),
      expires_at timestamptz not null,
      attempts integer not null default 0,
      verified boolean not null default false,
      verified_at timestamptz,
      created_at timestamptz not null default now(),
      metadata jsonb not null default '{}'::jsonb
    );
    create index auth_tokens_email_type_created_idx on %1$I.auth_tokens (email, type, created_at desc);
    create index auth_tokens_expiry_idx on %1$I.auth_tokens (expires_at);
    -- Closed: only the OTP service (owner role) reads or writes codes.
    alter table %1$I.auth_tokens enable row level security;
    alter table %1$I.auth_tokens force row level security;
    comment on table %1$I.auth_tokens is 'platform shape: otp_codes';
  $ddl$, app, types);
end $$;

-- Expired codes that were never used. Verified ones are kept, as OneDesigner's seed cleanup does;
-- wrong guesses push expires_at to the end of the attempt window, so the budget survives this.
create function platform.cleanup_expired_otp_codes(app text, as_of timestamptz default now()) returns integer
  language plpgsql
  as $$
declare n integer;
begin
  execute format('delete from %I.auth_tokens where expires_at < $1 and verified = false', app) using as_of;
  get diagnostics n = row_count;
  return n;
end $$;

create function platform.create_notifications_table(app text, users regclass default null) returns void
  language plpgsql
  as $$
begin
  execute format($ddl$
    create table %1$I.notifications (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null %2$s,
      type varchar(100) not null,
      title varchar(300) not null,
      body text,
      data jsonb not null default '{}'::jsonb,
      read_at timestamptz,
      created_at timestamptz not null default now()
    );
    create index notifications_recipient_created_idx on %1$I.notifications (user_id, created_at desc);
    create index notifications_recipient_unread_idx on %1$I.notifications (user_id) where read_at is null;
    alter table %1$I.notifications enable row level security;
    alter table %1$I.notifications force row level security;
    -- Recipients read theirs and mark them read; rows are written by platform.send_notification.
    grant select on %1$I.notifications to matchbase_user;
    grant update (read_at) on %1$I.notifications to matchbase_user;
    create policy notifications_recipient on %1$I.notifications for all to matchbase_user
      using (user_id = (select platform.uid()) and (select platform.claims() ->> 'app') = %1$L)
      with check (user_id = (select platform.uid()) and (select platform.claims() ->> 'app') = %1$L);
    comment on table %1$I.notifications is 'platform shape: notifications';
  $ddl$, app, case when users is null then '' else format('references %s (id) on delete cascade', users) end);
end $$;

-- The one way a notification is written, from a user's request or a job. It runs as its owner,
-- so a user's action can notify someone else without the request leaving its role; a request
-- may only notify within its own app.
create function platform.send_notification(
  app text, user_id uuid, type text, title text, body text, data jsonb, created_at timestamptz
) returns uuid
  language plpgsql
  security definer
  set search_path = pg_catalog, platform
  as $$
declare
  target regclass := to_regclass(format('%I.notifications', app));
  caller_app text := platform.claims() ->> 'app';
  new_id uuid;
begin
  if target is null or obj_description(target, 'pg_class') is distinct from 'platform shape: notifications' then
    raise exception 'app % has no platform notifications table', app using errcode = 'undefined_table';
  end if;
  if caller_app is not null and caller_app <> app then
    raise exception 'a % request may not notify % users', caller_app, app using errcode = 'insufficient_privilege';
  end if;
  execute format('insert into %s (user_id, type, title, body, data, created_at) values ($1, $2, $3, $4, $5, $6) returning id', target)
    into new_id using user_id, type, title, body, coalesce(data, '{}'::jsonb), coalesce(created_at, now());
  return new_id;
end $$;
revoke execute on function platform.send_notification(text, uuid, text, text, text, jsonb, timestamptz) from public;
grant execute on function platform.send_notification(text, uuid, text, text, text, jsonb, timestamptz) to matchbase_user;

-- migrate:down
drop function platform.send_notification(text, uuid, text, text, text, jsonb, timestamptz);
drop function platform.create_notifications_table(text, regclass);
drop function platform.cleanup_expired_otp_codes(text, timestamptz);
drop function platform.create_otp_codes_table(text, text[]);
