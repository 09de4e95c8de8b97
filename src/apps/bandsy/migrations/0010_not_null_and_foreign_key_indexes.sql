-- Columns whose default the seed gives (DEFAULT true/false/now()/'active'/1/50, ...) and that no
-- caller ever sets to null become NOT NULL, so the API document stops calling them nullable. The
-- tag table's foreign keys (media_sample_genres) are always filled and cascade on delete; a tag
-- without its sample or genre means nothing. Foreign keys declared ON DELETE SET NULL
-- (groups.created_by, group_invitations.invited_by, group_members.instrument_id,
-- media_samples.instrument_id) stay nullable, as do optional profile fields and the tables the
-- platform purchase and OTP work is reshaping (auth_tokens, notifications, subscription_purchases
-- columns). Rows holding a null where a default exists are first given that default.
--
-- Every foreign key also gets an index leading with its columns (test/catalog/foreign-key-indexes
-- .test.ts): deleting a user deletes or nulls their messages, invitations, groups' creator and
-- super likes received, and each of those was a sequential scan. Plain CREATE INDEX, because
-- migrations run in a transaction; on a large production table, build the same index with CREATE
-- INDEX CONCURRENTLY by hand first (this file's IF NOT EXISTS then skips it).
-- migrate:up
update bandsy.users set
  is_active = coalesce(is_active, true),
  show_age = coalesce(show_age, false),
  updated_at = coalesce(updated_at, now())
where is_active is null or show_age is null or updated_at is null;
alter table bandsy.users
  alter column is_active set not null,
  alter column show_age set not null,
  alter column updated_at set not null;

update bandsy.user_match_profiles set
  activity_score = coalesce(activity_score, 0),
  is_active = coalesce(is_active, true),
  last_active = coalesce(last_active, now()),
  looking_for = coalesce(looking_for, 'any'::character varying),
  search_radius = coalesce(search_radius, 50)
where activity_score is null or is_active is null or last_active is null or looking_for is null or search_radius is null;
alter table bandsy.user_match_profiles
  alter column activity_score set not null,
  alter column is_active set not null,
  alter column last_active set not null,
  alter column looking_for set not null,
  alter column search_radius set not null;

update bandsy.user_instruments set
  is_primary = coalesce(is_primary, false)
where is_primary is null;
alter table bandsy.user_instruments
  alter column is_primary set not null;

update bandsy.user_genres set
  preference = coalesce(preference, 1)
where preference is null;
alter table bandsy.user_genres
  alter column preference set not null;

update bandsy.media_samples set
  is_public = coalesce(is_public, true)
where is_public is null;
alter table bandsy.media_samples
  alter column is_public set not null;

alter table bandsy.media_sample_genres
  alter column media_sample_id set not null,
  alter column genre_id set not null;

update bandsy.matches set
  status = coalesce(status, 'active'::character varying),
  updated_at = coalesce(updated_at, now())
where status is null or updated_at is null;
alter table bandsy.matches
  alter column status set not null,
  alter column updated_at set not null;

update bandsy.conversations set
  is_group_chat = coalesce(is_group_chat, false),
  updated_at = coalesce(updated_at, now())
where is_group_chat is null or updated_at is null;
alter table bandsy.conversations
  alter column is_group_chat set not null,
  alter column updated_at set not null;

update bandsy.messages set
  is_read = coalesce(is_read, false)
where is_read is null;
alter table bandsy.messages
  alter column is_read set not null;

update bandsy.groups set
  is_active = coalesce(is_active, true),
  max_members = coalesce(max_members, 10),
  updated_at = coalesce(updated_at, now())
where is_active is null or max_members is null or updated_at is null;
alter table bandsy.groups
  alter column is_active set not null,
  alter column max_members set not null,
  alter column updated_at set not null;

update bandsy.events set
  is_public = coalesce(is_public, true)
where is_public is null;
alter table bandsy.events
  alter column is_public set not null;

create index if not exists group_genres_genre_idx on bandsy.group_genres (genre_id);
create index if not exists group_invitations_group_idx on bandsy.group_invitations (group_id);
create index if not exists group_invitations_invited_by_idx on bandsy.group_invitations (invited_by);
create index if not exists group_members_instrument_idx on bandsy.group_members (instrument_id);
create index if not exists groups_created_by_idx on bandsy.groups (created_by);
create index if not exists messages_sender_idx on bandsy.messages (sender_id);
create index if not exists subscription_purchases_subscription_idx on bandsy.subscription_purchases (subscription_id);
create index if not exists super_like_spends_to_user_idx on bandsy.super_like_spends (to_user_id);

-- migrate:down
drop index bandsy.super_like_spends_to_user_idx;
drop index bandsy.subscription_purchases_subscription_idx;
drop index bandsy.messages_sender_idx;
drop index bandsy.groups_created_by_idx;
drop index bandsy.group_members_instrument_idx;
drop index bandsy.group_invitations_invited_by_idx;
drop index bandsy.group_invitations_group_idx;
drop index bandsy.group_genres_genre_idx;

alter table bandsy.events
  alter column is_public drop not null;
alter table bandsy.groups
  alter column is_active drop not null,
  alter column max_members drop not null,
  alter column updated_at drop not null;
alter table bandsy.messages
  alter column is_read drop not null;
alter table bandsy.conversations
  alter column is_group_chat drop not null,
  alter column updated_at drop not null;
alter table bandsy.matches
  alter column status drop not null,
  alter column updated_at drop not null;
alter table bandsy.media_sample_genres
  alter column media_sample_id drop not null,
  alter column genre_id drop not null;
alter table bandsy.media_samples
  alter column is_public drop not null;
alter table bandsy.user_genres
  alter column preference drop not null;
alter table bandsy.user_instruments
  alter column is_primary drop not null;
alter table bandsy.user_match_profiles
  alter column activity_score drop not null,
  alter column is_active drop not null,
  alter column last_active drop not null,
  alter column looking_for drop not null,
  alter column search_radius drop not null;
alter table bandsy.users
  alter column is_active drop not null,
  alter column show_age drop not null,
  alter column updated_at drop not null;
