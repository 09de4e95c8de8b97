-- Bandsy: musicians matched by instrument, genre, skill and distance (seed 002_7ba1d4d081316c00).
-- Every table of the seed, its columns in snake_case, its indexes under their seed names.
-- Differences from the seed, each for a reason (docs/apps/bandsy.md, "Schema"):
--   * users.email: the embedded sign-in is email OTP, whose users have no Clerk account;
--   * user_match_profiles.profile_complete: the seed's completeness rule (an instrument, a genre
--     and a location) kept by triggers, so discovery filters on one indexed column;
--   * conversation_participants.last_read_at: read state per user (the seed's rule for group
--     chats), which messages.is_read alone cannot hold;
--   * media_samples.file_key: the storage key, so deleting a sample can delete its file;
--   * events.latitude/longitude: "listed by distance" needs a place;
--   * group_invitations: groups are joined by invitation, up to max_members; groups.created_by;
--   * policies that make rows public make them public to Bandsy musicians only (bandsy.is_musician);
--   * CHECKs for every enumerated varchar, ranges (preference 1..5, age, radius), the
--     match-xor-group rule of conversations, user1_id < user2_id of matches.
-- migrate:up
create schema bandsy;
grant usage on schema bandsy to matchbase_user;

create type bandsy.skill_level as enum ('beginner', 'intermediate', 'advanced', 'professional');
create type bandsy.interaction_type as enum ('like', 'pass', 'super_like', 'block');
create type bandsy.interaction_context as enum ('discovery', 'search', 'recommendation');
create type bandsy.message_type as enum ('text', 'audio', 'image');
create type bandsy.group_role as enum ('admin', 'member');

-- Core ---------------------------------------------------------------------------------------

create table bandsy.users (
  id uuid primary key default gen_random_uuid(),
  clerk_id varchar(255) not null unique,
  email varchar(255) unique,
  username varchar(50) not null unique
    check (username ~ '^[a-z0-9][a-z0-9_-]{1,48}[a-z0-9]$'),
  display_name varchar(100) not null check (length(trim(display_name)) > 0),
  bio text check (length(bio) <= 5000),
  age integer check (age between 13 and 120),
  show_age boolean default false,
  city varchar(100),
  region varchar(100),
  country varchar(100),
  latitude numeric(10, 8) check (latitude between -90 and 90),
  longitude numeric(11, 8) check (longitude between -180 and 180),
  profile_image_url varchar(500),
  is_active boolean default true,
  last_active_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz default now(),
  deleted_at timestamptz,
  check ((latitude is null) = (longitude is null))
);
create index users_clerk_id_idx on bandsy.users (clerk_id);
create index users_location_idx on bandsy.users (latitude, longitude);
create index users_active_idx on bandsy.users (is_active);
create trigger users_updated_at before update on bandsy.users
  for each row execute function platform.touch_updated_at();

create table bandsy.instruments (
  id uuid primary key default gen_random_uuid(),
  name varchar(100) not null unique,
  category varchar(50),
  created_at timestamptz not null default now()
);

create table bandsy.genres (
  id uuid primary key default gen_random_uuid(),
  name varchar(100) not null unique,
  parent_genre_id uuid references bandsy.genres (id) on delete restrict,
  created_at timestamptz not null default now(),
  check (parent_genre_id is distinct from id)
);
create index genres_parent_idx on bandsy.genres (parent_genre_id);

-- Seed: "Maximum depth of 3 levels". A genre's depth (1 for a root) plus the height of what hangs
-- below it may not pass 3, and a genre may not become its own ancestor.
create function bandsy.check_genre_depth() returns trigger
  language plpgsql
  as $$
declare
  depth integer;
  below integer;
begin
  if new.parent_genre_id is null then
    depth := 1;
  else
    with recursive up as (
      select id, parent_genre_id, 1 as n from bandsy.genres where id = new.parent_genre_id
      union all
      select g.id, g.parent_genre_id, up.n + 1 from bandsy.genres g join up on g.id = up.parent_genre_id
      where up.n < 10
    )
    select max(n) + 1, bool_or(id = new.id)::int into depth, below from up;
    if below = 1 then
      raise exception 'genre % cannot be its own ancestor', new.name using errcode = 'check_violation',
        constraint = 'genres_no_cycle';
    end if;
  end if;
  with recursive down as (
    select id, 0 as n from bandsy.genres where parent_genre_id = new.id
    union all
    select g.id, down.n + 1 from bandsy.genres g join down on g.parent_genre_id = down.id where down.n < 10
  )
  select coalesce(max(n) + 1, 0) into below from down;
  if depth + below > 3 then
    raise exception 'genre hierarchy may be at most 3 levels deep (% would be at level %)', new.name, depth + below
      using errcode = 'check_violation', constraint = 'genres_max_depth';
  end if;
  return new;
end $$;
create trigger genres_max_depth before insert or update of parent_genre_id on bandsy.genres
  for each row execute function bandsy.check_genre_depth();

create table bandsy.media_samples (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references bandsy.users (id) on delete cascade,
  instrument_id uuid references bandsy.instruments (id) on delete set null,
  title varchar(200) not null check (length(trim(title)) > 0),
  description text check (length(description) <= 5000),
  file_url varchar(500) not null,
  file_key varchar(500),
  file_type varchar(50) not null check (file_type in ('audio', 'video')),
  duration integer check (duration >= 0),
  metadata json,
  is_public boolean default true,
  created_at timestamptz not null default now()
);
create index media_samples_user_idx on bandsy.media_samples (user_id);
create index media_samples_instrument_idx on bandsy.media_samples (instrument_id);

-- Junctions ----------------------------------------------------------------------------------

create table bandsy.user_instruments (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references bandsy.users (id) on delete cascade,
  instrument_id uuid not null references bandsy.instruments (id) on delete cascade,
  skill_level bandsy.skill_level not null,
  years_of_experience integer check (years_of_experience between 0 and 100),
  is_primary boolean default false,
  created_at timestamptz not null default now(),
  unique (user_id, instrument_id)
);
-- Seed: "Only one instrument can be marked as primary per user".
create unique index user_instruments_one_primary_idx on bandsy.user_instruments (user_id) where is_primary;
create index user_instruments_instrument_skill_idx on bandsy.user_instruments (instrument_id, skill_level);

create table bandsy.user_genres (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references bandsy.users (id) on delete cascade,
  genre_id uuid not null references bandsy.genres (id) on delete cascade,
  preference integer default 1 check (preference between 1 and 5),
  created_at timestamptz not null default now(),
  unique (user_id, genre_id)
);
create index user_genres_genre_idx on bandsy.user_genres (genre_id);

create table bandsy.media_sample_genres (
  id uuid primary key default gen_random_uuid(),
  media_sample_id uuid references bandsy.media_samples (id) on delete cascade,
  genre_id uuid references bandsy.genres (id) on delete cascade,
  unique (media_sample_id, genre_id)
);
create index media_sample_genres_genre_idx on bandsy.media_sample_genres (genre_id);

-- Matching and discovery ---------------------------------------------------------------------

create table bandsy.user_match_profiles (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null unique references bandsy.users (id) on delete cascade,
  location_lat numeric(10, 8),
  location_lng numeric(11, 8),
  city varchar(100),
  region varchar(100),
  country varchar(100),
  search_radius integer default 50 check (search_radius between 1 and 1000),
  age_range_min integer check (age_range_min between 13 and 120),
  age_range_max integer check (age_range_max between 13 and 120),
  looking_for varchar(50) default 'any'
    check (looking_for in ('any', 'collaborator', 'band', 'bandmate', 'jam', 'session', 'teacher', 'student')),
  skill_level_average numeric(3, 2),
  activity_score integer default 0 check (activity_score >= 0),
  is_active boolean default true,
  last_active timestamptz default now(),
  profile_complete boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (age_range_min is null or age_range_max is null or age_range_min <= age_range_max)
);
create index user_match_profile_location_idx on bandsy.user_match_profiles (location_lat, location_lng);
create index user_match_profile_active_idx on bandsy.user_match_profiles (is_active, last_active);
create index user_match_profiles_geo_active_idx
  on bandsy.user_match_profiles (is_active, location_lat, location_lng, last_active);
create trigger user_match_profiles_updated_at before update on bandsy.user_match_profiles
  for each row execute function platform.touch_updated_at();

create table bandsy.user_interactions (
  id uuid primary key default gen_random_uuid(),
  from_user_id uuid not null references bandsy.users (id) on delete cascade,
  to_user_id uuid not null references bandsy.users (id) on delete cascade,
  type bandsy.interaction_type not null,
  context bandsy.interaction_context not null,
  created_at timestamptz not null default now(),
  constraint user_interactions_not_self check (from_user_id <> to_user_id),
  constraint unique_user_interaction unique (from_user_id, to_user_id, type)
);
create index user_interaction_from_user_idx on bandsy.user_interactions (from_user_id);
create index user_interaction_to_user_idx on bandsy.user_interactions (to_user_id, type);

create table bandsy.matches (
  id uuid primary key default gen_random_uuid(),
  user1_id uuid not null references bandsy.users (id) on delete cascade,
  user2_id uuid not null references bandsy.users (id) on delete cascade,
  match_score numeric(5, 2) check (match_score between 0 and 100),
  match_factors json,
  status varchar(20) default 'active' check (status in ('active', 'unmatched', 'blocked')),
  created_at timestamptz not null default now(),
  updated_at timestamptz default now(),
  -- Seed: "User1Id always contains the lexicographically smaller UUID".
  constraint matches_user1_smaller check (user1_id < user2_id),
  constraint unique_match unique (user1_id, user2_id)
);
create index match_user1_idx on bandsy.matches (user1_id);
create index match_user2_idx on bandsy.matches (user2_id);
create trigger matches_updated_at before update on bandsy.matches
  for each row execute function platform.touch_updated_at();

-- Groups (before conversations, which reference them) ------------------------------------------

create table bandsy.groups (
  id uuid primary key default gen_random_uuid(),
  name varchar(200) not null check (length(trim(name)) > 0),
  description text check (length(description) <= 5000),
  image_url varchar(500),
  is_active boolean default true,
  max_members integer default 10 check (max_members between 2 and 100),
  created_by uuid default platform.uid() references bandsy.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz default now()
);
create trigger groups_updated_at before update on bandsy.groups
  for each row execute function platform.touch_updated_at();

create table bandsy.group_members (
  id uuid primary key default gen_random_uuid(),
  group_id uuid not null references bandsy.groups (id) on delete cascade,
  user_id uuid not null references bandsy.users (id) on delete cascade,
  role bandsy.group_role not null default 'member',
  instrument_id uuid references bandsy.instruments (id) on delete set null,
  joined_at timestamptz not null default now(),
  unique (group_id, user_id)
);
create index group_members_user_idx on bandsy.group_members (user_id);

create table bandsy.group_genres (
  id uuid primary key default gen_random_uuid(),
  group_id uuid not null references bandsy.groups (id) on delete cascade,
  genre_id uuid not null references bandsy.genres (id) on delete cascade,
  unique (group_id, genre_id)
);

create table bandsy.group_invitations (
  id uuid primary key default gen_random_uuid(),
  group_id uuid not null references bandsy.groups (id) on delete cascade,
  invited_user_id uuid not null references bandsy.users (id) on delete cascade,
  invited_by uuid references bandsy.users (id) on delete set null,
  status varchar(20) not null default 'pending' check (status in ('pending', 'accepted', 'declined', 'revoked')),
  created_at timestamptz not null default now(),
  responded_at timestamptz
);
create unique index group_invitations_one_pending_idx on bandsy.group_invitations (group_id, invited_user_id)
  where status = 'pending';
create index group_invitations_user_idx on bandsy.group_invitations (invited_user_id, status);

create table bandsy.events (
  id uuid primary key default gen_random_uuid(),
  group_id uuid not null references bandsy.groups (id) on delete cascade,
  title varchar(200) not null check (length(trim(title)) > 0),
  description text check (length(description) <= 5000),
  venue varchar(200),
  address text,
  latitude numeric(10, 8) check (latitude between -90 and 90),
  longitude numeric(11, 8) check (longitude between -180 and 180),
  start_date timestamptz not null,
  end_date timestamptz,
  is_public boolean default true,
  max_attendees integer check (max_attendees > 0),
  created_at timestamptz not null default now(),
  check (end_date is null or end_date >= start_date),
  check ((latitude is null) = (longitude is null))
);
create index events_group_idx on bandsy.events (group_id, start_date);
create index events_public_start_idx on bandsy.events (start_date) where is_public;

create table bandsy.subscriptions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references bandsy.users (id) on delete cascade,
  plan_type varchar(50) not null check (plan_type in ('basic', 'premium', 'pro')),
  status varchar(20) not null check (status in ('active', 'cancelled', 'expired')),
  start_date timestamptz not null,
  end_date timestamptz,
  created_at timestamptz not null default now(),
  check (end_date is null or end_date > start_date)
);
-- One active subscription per user at a time.
create unique index subscriptions_one_active_idx on bandsy.subscriptions (user_id) where status = 'active';
create index subscriptions_user_idx on bandsy.subscriptions (user_id, created_at desc);

-- Communication ------------------------------------------------------------------------------

create table bandsy.conversations (
  id uuid primary key default gen_random_uuid(),
  match_id uuid unique references bandsy.matches (id) on delete cascade,
  group_id uuid unique references bandsy.groups (id) on delete cascade,
  is_group_chat boolean default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz default now(),
  -- Seed: "Either matchId OR groupId must be set, not both".
  constraint conversations_match_xor_group check ((match_id is null) <> (group_id is null)),
  constraint conversations_group_flag check (is_group_chat = (group_id is not null))
);

create table bandsy.conversation_participants (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references bandsy.conversations (id) on delete cascade,
  user_id uuid not null references bandsy.users (id) on delete cascade,
  joined_at timestamptz not null default now(),
  last_read_at timestamptz,
  unique (conversation_id, user_id)
);
create index conversation_participants_user_idx on bandsy.conversation_participants (user_id);

create table bandsy.messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references bandsy.conversations (id) on delete cascade,
  sender_id uuid not null references bandsy.users (id) on delete cascade,
  type bandsy.message_type not null,
  content text check (length(content) <= 5000),
  file_url varchar(500),
  metadata json,
  is_read boolean default false,
  created_at timestamptz not null default now(),
  -- Seed: "Text messages require content, media messages require fileUrl".
  constraint messages_text_has_content check (type <> 'text' or length(trim(content)) > 0),
  constraint messages_media_has_file check (type = 'text' or file_url is not null)
);
create index messages_conversation_idx on bandsy.messages (conversation_id);
create index messages_created_at_idx on bandsy.messages (created_at);
create index messages_conversation_time_idx on bandsy.messages (conversation_id, created_at desc);

-- Sign-in codes (platform OTP service) and notifications (platform notifier) -------------------

create table bandsy.auth_tokens (
  id uuid primary key default gen_random_uuid(),
  email varchar(255) not null,
  code varchar(128) not null,
  type varchar(20) not null check (type in ('musician')),
  purpose varchar(20) not null check (purpose in ('login', 'signup', 'reset', 'verify')),
  expires_at timestamptz not null,
  attempts integer default 0,
  verified boolean default false,
  verified_at timestamptz,
  created_at timestamptz default now(),
  metadata jsonb default '{}'::jsonb
);
create index auth_tokens_email_idx on bandsy.auth_tokens (email, type);
create index auth_tokens_expires_idx on bandsy.auth_tokens (expires_at);

create table bandsy.notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references bandsy.users (id) on delete cascade,
  type varchar(100) not null,
  title varchar(300) not null,
  body text,
  data jsonb not null default '{}'::jsonb,
  read_at timestamptz,
  created_at timestamptz not null default now()
);
create index notifications_user_idx on bandsy.notifications (user_id, created_at desc);

-- Derived data, kept by triggers ---------------------------------------------------------------
-- These run as the owner (security definer): a user's own change updates columns the user may
-- not write directly (cached location, skill average, completeness, activity).

create function bandsy.skill_rank(s bandsy.skill_level) returns integer
  language sql immutable
  as $$ select array_position(enum_range(null::bandsy.skill_level), s) $$;

create function bandsy.refresh_match_profile(uid uuid) returns void
  language sql
  security definer
  set search_path = pg_catalog, bandsy
  as $$
  insert into bandsy.user_match_profiles as p
    (user_id, location_lat, location_lng, city, region, country, is_active, last_active,
     skill_level_average, profile_complete)
  select u.id, u.latitude, u.longitude, u.city, u.region, u.country,
         coalesce(u.is_active, true) and u.deleted_at is null,
         greatest(coalesce(u.last_active_at, u.created_at), u.created_at),
         (select round(avg(bandsy.skill_rank(ui.skill_level)), 2) from bandsy.user_instruments ui where ui.user_id = u.id),
         u.latitude is not null
           and exists (select 1 from bandsy.user_instruments ui where ui.user_id = u.id)
           and exists (select 1 from bandsy.user_genres ug where ug.user_id = u.id)
  from bandsy.users u where u.id = uid
  on conflict (user_id) do update set
    location_lat = excluded.location_lat,
    location_lng = excluded.location_lng,
    city = excluded.city,
    region = excluded.region,
    country = excluded.country,
    is_active = excluded.is_active,
    last_active = greatest(p.last_active, excluded.last_active),
    skill_level_average = excluded.skill_level_average,
    profile_complete = excluded.profile_complete
$$;

create function bandsy.sync_match_profile() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, bandsy
  as $$
begin
  if tg_table_name = 'users' then
    perform bandsy.refresh_match_profile(new.id);
  elsif tg_op = 'DELETE' then
    perform bandsy.refresh_match_profile(old.user_id);
  else
    perform bandsy.refresh_match_profile(new.user_id);
  end if;
  return null;
end $$;
create trigger users_sync_match_profile
  after insert or update of latitude, longitude, city, region, country, is_active, last_active_at, deleted_at
  on bandsy.users for each row execute function bandsy.sync_match_profile();
create trigger user_instruments_sync_match_profile after insert or update or delete on bandsy.user_instruments
  for each row execute function bandsy.sync_match_profile();
create trigger user_genres_sync_match_profile after insert or delete on bandsy.user_genres
  for each row execute function bandsy.sync_match_profile();

-- Seed: "Activity score influences match ranking". Each like, pass or message counts once and
-- marks the user active; the scheduled refresh recounts the last 30 days.
create function bandsy.count_activity() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, bandsy
  as $$
declare
  actor uuid;
begin
  if tg_table_name = 'messages' then
    actor := new.sender_id;
  else
    actor := new.from_user_id;
  end if;
  update bandsy.user_match_profiles
     set activity_score = activity_score + 1, last_active = greatest(last_active, new.created_at)
   where user_id = actor;
  return null;
end $$;
create trigger user_interactions_count_activity after insert on bandsy.user_interactions
  for each row execute function bandsy.count_activity();
create trigger messages_count_activity after insert on bandsy.messages
  for each row execute function bandsy.count_activity();

create function bandsy.refresh_activity_scores(as_of timestamptz default now()) returns integer
  language sql
  as $$
  with counts as (
    select p.user_id,
           (select count(*) from bandsy.user_interactions i where i.from_user_id = p.user_id and i.created_at > as_of - interval '30 days')
         + (select count(*) from bandsy.messages m where m.sender_id = p.user_id and m.created_at > as_of - interval '30 days') as n
    from bandsy.user_match_profiles p
  ), changed as (
    update bandsy.user_match_profiles p set activity_score = c.n
    from counts c where c.user_id = p.user_id and p.activity_score is distinct from c.n
    returning 1
  )
  select count(*)::int from changed
$$;

-- Plans and the features they unlock (docs/apps/bandsy.md, "Subscriptions"). --------------------

-- The plan a user holds now: the active subscription whose period covers `at`, else 'free'.
create function bandsy.plan_of(uid uuid, at timestamptz default now()) returns text
  language sql stable
  security definer
  set search_path = pg_catalog, bandsy
  as $$
  select coalesce((select s.plan_type from bandsy.subscriptions s
                    where s.user_id = uid and s.status = 'active' and s.start_date <= at
                      and (s.end_date is null or s.end_date > at)
                    order by s.start_date desc limit 1), 'free')
$$;

create function bandsy.plan_rank(plan text) returns integer
  language sql immutable
  as $$ select coalesce(array_position(array['free', 'basic', 'premium', 'pro'], plan), 1) - 1 $$;

-- Whether the request is a Bandsy musician's: rows that are public within Bandsy are not public
-- to a signed-in user of another app (every app's requests share the matchbase_user role).
create function bandsy.is_musician() returns boolean
  language sql stable
  as $$ select coalesce(platform.claims() ->> 'app' = 'bandsy' and platform.uid() is not null, false) $$;

-- Access helpers for policies. Security definer so a policy on one table can ask about another
-- table's rows without that table's own policies applying (and without recursion).

create function bandsy.is_visible_user(uid uuid) returns boolean
  language sql stable
  security definer
  set search_path = pg_catalog, bandsy
  as $$ select exists (select 1 from bandsy.users where id = uid and deleted_at is null) $$;

create function bandsy.is_participant(conv uuid) returns boolean
  language sql stable
  security definer
  set search_path = pg_catalog, bandsy, platform
  as $$
  select exists (select 1 from bandsy.conversation_participants
                  where conversation_id = conv and user_id = platform.uid())
$$;

create function bandsy.is_group_member(grp uuid) returns boolean
  language sql stable
  security definer
  set search_path = pg_catalog, bandsy, platform
  as $$ select exists (select 1 from bandsy.group_members where group_id = grp and user_id = platform.uid()) $$;

create function bandsy.is_group_admin(grp uuid) returns boolean
  language sql stable
  security definer
  set search_path = pg_catalog, bandsy, platform
  as $$
  select exists (select 1 from bandsy.group_members where group_id = grp and user_id = platform.uid() and role = 'admin')
$$;

-- Seed: "Only matched users or group members can message". A match conversation takes messages
-- while its match is active; a group conversation from the group's current members.
create function bandsy.can_post(conv uuid) returns boolean
  language sql stable
  security definer
  set search_path = pg_catalog, bandsy, platform
  as $$
  select exists (
    select 1 from bandsy.conversations c
    join bandsy.conversation_participants cp on cp.conversation_id = c.id and cp.user_id = platform.uid()
    left join bandsy.matches m on m.id = c.match_id
    left join bandsy.groups g on g.id = c.group_id
    where c.id = conv
      and ((c.match_id is not null and m.status = 'active')
        or (c.group_id is not null and g.is_active
            and exists (select 1 from bandsy.group_members gm where gm.group_id = g.id and gm.user_id = platform.uid())))
  )
$$;

-- Users the caller has blocked or who blocked the caller: they vanish from each other's views.
create function bandsy.blocked_by_or_blocking_me() returns setof uuid
  language sql stable
  security definer
  set search_path = pg_catalog, bandsy, platform
  as $$
  select to_user_id from bandsy.user_interactions where from_user_id = platform.uid() and type = 'block'
  union
  select from_user_id from bandsy.user_interactions where to_user_id = platform.uid() and type = 'block'
$$;

-- Seed: "Groups must have at least one admin"; "Admin role cannot be deleted if only admin".
-- The group row is locked first, so two admins demoting each other at once cannot both succeed.
create function bandsy.keep_one_admin() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, bandsy
  as $$
begin
  if old.role = 'admin' and (tg_op = 'DELETE' or new.role <> 'admin') then
    -- A group being deleted takes its members with it.
    perform 1 from bandsy.groups where id = old.group_id for update;
    if found and not exists (select 1 from bandsy.group_members
                              where group_id = old.group_id and role = 'admin' and id <> old.id) then
      raise exception 'a group must keep at least one admin: make another member admin first'
        using errcode = 'check_violation', constraint = 'groups_keep_one_admin';
    end if;
  end if;
  if tg_op = 'DELETE' then
    return old;
  end if;
  return new;
end $$;
create trigger group_members_keep_one_admin before update of role or delete on bandsy.group_members
  for each row execute function bandsy.keep_one_admin();

-- max_members holds under concurrent joins: the group row is locked while counting.
create function bandsy.enforce_max_members() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, bandsy
  as $$
declare
  cap integer;
  n integer;
begin
  select max_members into cap from bandsy.groups where id = new.group_id for update;
  select count(*) into n from bandsy.group_members where group_id = new.group_id;
  if n >= coalesce(cap, 10) then
    raise exception 'the group is full (% members)', cap
      using errcode = 'check_violation', constraint = 'groups_max_members';
  end if;
  return new;
end $$;
create trigger group_members_max_members before insert on bandsy.group_members
  for each row execute function bandsy.enforce_max_members();

-- A group is born with its founder as admin and with its conversation; the conversation's
-- participants follow the group's members.
create function bandsy.found_group() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, bandsy, platform
  as $$
begin
  insert into bandsy.conversations (group_id, is_group_chat) values (new.id, true);
  if platform.uid() is not null then
    insert into bandsy.group_members (group_id, user_id, role) values (new.id, platform.uid(), 'admin');
  end if;
  return null;
end $$;
create trigger groups_found after insert on bandsy.groups
  for each row execute function bandsy.found_group();

create function bandsy.sync_group_participants() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, bandsy
  as $$
begin
  if tg_op = 'INSERT' then
    insert into bandsy.conversation_participants (conversation_id, user_id)
    select c.id, new.user_id from bandsy.conversations c where c.group_id = new.group_id
    on conflict (conversation_id, user_id) do nothing;
    return null;
  end if;
  delete from bandsy.conversation_participants cp
   using bandsy.conversations c
   where c.group_id = old.group_id and cp.conversation_id = c.id and cp.user_id = old.user_id;
  return null;
end $$;
create trigger group_members_sync_participants after insert or delete on bandsy.group_members
  for each row execute function bandsy.sync_group_participants();

-- Seed: "Matches require mutual likes". Called by the musician who just liked `other`: when both
-- have liked (or super liked) each other and neither has blocked the other, exactly one match
-- (user1_id the smaller UUID) and exactly one conversation with both participants exist
-- afterwards, however many calls race. The pair's advisory lock serialises the callers, so the
-- second sees the first's committed like. Returns the match and whether this call created it.
create function bandsy.create_mutual_match(other uuid, score numeric, factors json)
  returns table (match_id uuid, created boolean)
  language plpgsql
  security definer
  set search_path = pg_catalog, bandsy, platform
  as $$
declare
  me uuid := platform.uid();
  lo uuid := least(me, other);
  hi uuid := greatest(me, other);
  mid uuid;
  conv uuid;
begin
  if me is null or other is null or me = other then
    return;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('bandsy.match:' || lo || ':' || hi, 0));
  if not exists (select 1 from bandsy.user_interactions
                  where from_user_id = me and to_user_id = other and type in ('like', 'super_like'))
     or not exists (select 1 from bandsy.user_interactions
                     where from_user_id = other and to_user_id = me and type in ('like', 'super_like'))
     or exists (select 1 from bandsy.user_interactions
                 where type = 'block' and ((from_user_id = me and to_user_id = other) or (from_user_id = other and to_user_id = me)))
     or not exists (select 1 from bandsy.users where id = other and deleted_at is null) then
    return;
  end if;
  select m.id into mid from bandsy.matches m where m.user1_id = lo and m.user2_id = hi;
  if found then
    return query select mid, false;
    return;
  end if;
  insert into bandsy.matches (user1_id, user2_id, match_score, match_factors)
  values (lo, hi, score, factors) returning id into mid;
  insert into bandsy.conversations (match_id, is_group_chat) values (mid, false) returning id into conv;
  insert into bandsy.conversation_participants (conversation_id, user_id) values (conv, lo), (conv, hi);
  return query select mid, true;
end $$;
revoke execute on function bandsy.create_mutual_match(uuid, numeric, json) from public;
grant execute on function bandsy.create_mutual_match(uuid, numeric, json) to matchbase_user;

-- Row-level security ---------------------------------------------------------------------------
-- Every table enabled and forced. platform.uid() is the signed-in musician.

alter table bandsy.users enable row level security;
alter table bandsy.users force row level security;
grant select on bandsy.users to matchbase_user;
grant update (username, display_name, bio, age, show_age, city, region, country, latitude, longitude,
  profile_image_url, is_active, last_active_at, deleted_at) on bandsy.users to matchbase_user;
-- Soft-deleted users are hidden everywhere, from everyone but the system.
create policy users_read_visible on bandsy.users for select to matchbase_user
  using ((deleted_at is null and (select bandsy.is_musician())) or id = (select platform.uid()));
create policy users_update_self on bandsy.users for update to matchbase_user
  using (id = (select platform.uid()) and deleted_at is null) with check (id = (select platform.uid()));

alter table bandsy.instruments enable row level security;
alter table bandsy.instruments force row level security;
grant select, insert, update on bandsy.instruments to matchbase_user;
create policy instruments_read on bandsy.instruments for select to matchbase_user using ((select bandsy.is_musician()));
create policy instruments_admin_write on bandsy.instruments for insert to matchbase_user
  with check ((select platform.is_admin('bandsy')));
create policy instruments_admin_update on bandsy.instruments for update to matchbase_user
  using ((select platform.is_admin('bandsy'))) with check ((select platform.is_admin('bandsy')));

alter table bandsy.genres enable row level security;
alter table bandsy.genres force row level security;
grant select, insert, update on bandsy.genres to matchbase_user;
create policy genres_read on bandsy.genres for select to matchbase_user using ((select bandsy.is_musician()));
create policy genres_admin_write on bandsy.genres for insert to matchbase_user
  with check ((select platform.is_admin('bandsy')));
create policy genres_admin_update on bandsy.genres for update to matchbase_user
  using ((select platform.is_admin('bandsy'))) with check ((select platform.is_admin('bandsy')));

alter table bandsy.media_samples enable row level security;
alter table bandsy.media_samples force row level security;
grant select, insert, delete on bandsy.media_samples to matchbase_user;
grant update (title, description, instrument_id, is_public) on bandsy.media_samples to matchbase_user;
-- Seed: "Private samples are only visible to the owner".
create policy media_samples_public on bandsy.media_samples for select to matchbase_user
  using (is_public and (select bandsy.is_musician()) and bandsy.is_visible_user(user_id));
create policy media_samples_own on bandsy.media_samples for all to matchbase_user
  using (user_id = (select platform.uid())) with check (user_id = (select platform.uid()));

alter table bandsy.media_sample_genres enable row level security;
alter table bandsy.media_sample_genres force row level security;
grant select, insert, delete on bandsy.media_sample_genres to matchbase_user;
-- Visible with the sample (the subquery runs under media_samples' own policies).
create policy media_sample_genres_read on bandsy.media_sample_genres for select to matchbase_user
  using (exists (select 1 from bandsy.media_samples s where s.id = media_sample_id));
create policy media_sample_genres_own_insert on bandsy.media_sample_genres for insert to matchbase_user
  with check (exists (select 1 from bandsy.media_samples s where s.id = media_sample_id and s.user_id = (select platform.uid())));
create policy media_sample_genres_own_delete on bandsy.media_sample_genres for delete to matchbase_user
  using (exists (select 1 from bandsy.media_samples s where s.id = media_sample_id and s.user_id = (select platform.uid())));

alter table bandsy.user_instruments enable row level security;
alter table bandsy.user_instruments force row level security;
grant select, insert, update, delete on bandsy.user_instruments to matchbase_user;
create policy user_instruments_read on bandsy.user_instruments for select to matchbase_user
  using ((select bandsy.is_musician()) and bandsy.is_visible_user(user_id));
create policy user_instruments_own on bandsy.user_instruments for all to matchbase_user
  using (user_id = (select platform.uid())) with check (user_id = (select platform.uid()));

alter table bandsy.user_genres enable row level security;
alter table bandsy.user_genres force row level security;
grant select, insert, update, delete on bandsy.user_genres to matchbase_user;
create policy user_genres_read on bandsy.user_genres for select to matchbase_user
  using ((select bandsy.is_musician()) and bandsy.is_visible_user(user_id));
create policy user_genres_own on bandsy.user_genres for all to matchbase_user
  using (user_id = (select platform.uid())) with check (user_id = (select platform.uid()));

alter table bandsy.user_match_profiles enable row level security;
alter table bandsy.user_match_profiles force row level security;
grant select on bandsy.user_match_profiles to matchbase_user;
grant update (search_radius, age_range_min, age_range_max, looking_for, is_active) on bandsy.user_match_profiles to matchbase_user;
-- Discovery reads other musicians' profiles while they are active; the rest only their own.
create policy user_match_profiles_discoverable on bandsy.user_match_profiles for select to matchbase_user
  using (is_active and profile_complete and (select bandsy.is_musician()));
create policy user_match_profiles_own on bandsy.user_match_profiles for all to matchbase_user
  using (user_id = (select platform.uid())) with check (user_id = (select platform.uid()));

alter table bandsy.user_interactions enable row level security;
alter table bandsy.user_interactions force row level security;
grant select, insert, delete on bandsy.user_interactions to matchbase_user;
create policy user_interactions_own on bandsy.user_interactions for all to matchbase_user
  using (from_user_id = (select platform.uid())) with check (from_user_id = (select platform.uid()));
-- A super like is meant to be seen; plain likes are seen by premium and pro subscribers.
create policy user_interactions_liked_me on bandsy.user_interactions for select to matchbase_user
  using (to_user_id = (select platform.uid())
         and (type = 'super_like' or (type = 'like' and bandsy.plan_rank(bandsy.plan_of((select platform.uid()))) >= 2)));

alter table bandsy.matches enable row level security;
alter table bandsy.matches force row level security;
grant select on bandsy.matches to matchbase_user;
grant update (status) on bandsy.matches to matchbase_user;
-- Matches are created only by bandsy.create_mutual_match; either side may end one, never revive it.
create policy matches_participants_read on bandsy.matches for select to matchbase_user
  using ((select platform.uid()) in (user1_id, user2_id));
create policy matches_participants_end on bandsy.matches for update to matchbase_user
  using ((select platform.uid()) in (user1_id, user2_id) and status = 'active')
  with check ((select platform.uid()) in (user1_id, user2_id) and status in ('unmatched', 'blocked'));

alter table bandsy.conversations enable row level security;
alter table bandsy.conversations force row level security;
grant select on bandsy.conversations to matchbase_user;
create policy conversations_participants on bandsy.conversations for select to matchbase_user
  using (bandsy.is_participant(id));

alter table bandsy.conversation_participants enable row level security;
alter table bandsy.conversation_participants force row level security;
grant select on bandsy.conversation_participants to matchbase_user;
grant update (last_read_at) on bandsy.conversation_participants to matchbase_user;
create policy conversation_participants_read on bandsy.conversation_participants for select to matchbase_user
  using (bandsy.is_participant(conversation_id));
create policy conversation_participants_own_read_state on bandsy.conversation_participants for update to matchbase_user
  using (user_id = (select platform.uid())) with check (user_id = (select platform.uid()));

alter table bandsy.messages enable row level security;
alter table bandsy.messages force row level security;
grant select, insert on bandsy.messages to matchbase_user;
grant update (is_read) on bandsy.messages to matchbase_user;
create policy messages_participants_read on bandsy.messages for select to matchbase_user
  using (bandsy.is_participant(conversation_id));
-- Seed: "Only matched users or group members can message", held here and not only in TypeScript.
create policy messages_post on bandsy.messages for insert to matchbase_user
  with check (sender_id = (select platform.uid()) and bandsy.can_post(conversation_id));
-- Recipients mark messages read; no one edits another's words (only is_read is granted).
create policy messages_mark_read on bandsy.messages for update to matchbase_user
  using (sender_id <> (select platform.uid()) and bandsy.is_participant(conversation_id))
  with check (sender_id <> (select platform.uid()) and bandsy.is_participant(conversation_id));

alter table bandsy.groups enable row level security;
alter table bandsy.groups force row level security;
grant select, insert, delete on bandsy.groups to matchbase_user;
grant update (name, description, image_url, is_active, max_members) on bandsy.groups to matchbase_user;
create policy groups_read on bandsy.groups for select to matchbase_user
  using ((is_active and (select bandsy.is_musician())) or bandsy.is_group_member(id));
-- Any musician may found a group; bandsy.found_group makes them its admin.
create policy groups_create on bandsy.groups for insert to matchbase_user
  with check ((select bandsy.is_musician()) and created_by = (select platform.uid()));
create policy groups_admin_update on bandsy.groups for update to matchbase_user
  using (bandsy.is_group_admin(id)) with check (bandsy.is_group_admin(id));
create policy groups_admin_delete on bandsy.groups for delete to matchbase_user
  using (bandsy.is_group_admin(id));

alter table bandsy.group_members enable row level security;
alter table bandsy.group_members force row level security;
grant select, insert, delete on bandsy.group_members to matchbase_user;
grant update (role, instrument_id) on bandsy.group_members to matchbase_user;
create policy group_members_read on bandsy.group_members for select to matchbase_user
  using (exists (select 1 from bandsy.groups g where g.id = group_id));
-- Joining: yourself, as a member, with an invitation that is pending (founders are added by
-- bandsy.found_group).
create policy group_members_join on bandsy.group_members for insert to matchbase_user
  with check (user_id = (select platform.uid()) and role = 'member' and
    exists (select 1 from bandsy.group_invitations i
             where i.group_id = group_members.group_id and i.invited_user_id = (select platform.uid()) and i.status = 'pending'));
-- Admins change roles and instruments; a member changes their own instrument (role changes are
-- checked by bandsy.guard_role_change).
create policy group_members_update on bandsy.group_members for update to matchbase_user
  using (bandsy.is_group_admin(group_id) or user_id = (select platform.uid()))
  with check (bandsy.is_group_admin(group_id) or user_id = (select platform.uid()));
create policy group_members_leave_or_remove on bandsy.group_members for delete to matchbase_user
  using (user_id = (select platform.uid()) or bandsy.is_group_admin(group_id));

create function bandsy.guard_role_change() returns trigger
  language plpgsql
  as $$
begin
  if new.role is distinct from old.role and current_setting('role') = 'matchbase_user'
     and not bandsy.is_group_admin(old.group_id) then
    raise exception 'only a group admin can change roles' using errcode = 'insufficient_privilege';
  end if;
  return new;
end $$;
create trigger group_members_guard_role before update of role on bandsy.group_members
  for each row execute function bandsy.guard_role_change();

alter table bandsy.group_genres enable row level security;
alter table bandsy.group_genres force row level security;
grant select, insert, delete on bandsy.group_genres to matchbase_user;
create policy group_genres_read on bandsy.group_genres for select to matchbase_user
  using (exists (select 1 from bandsy.groups g where g.id = group_id));
create policy group_genres_admin_write on bandsy.group_genres for insert to matchbase_user
  with check (bandsy.is_group_admin(group_id));
create policy group_genres_admin_delete on bandsy.group_genres for delete to matchbase_user
  using (bandsy.is_group_admin(group_id));

alter table bandsy.group_invitations enable row level security;
alter table bandsy.group_invitations force row level security;
grant select, insert on bandsy.group_invitations to matchbase_user;
grant update (status, responded_at) on bandsy.group_invitations to matchbase_user;
create policy group_invitations_read on bandsy.group_invitations for select to matchbase_user
  using (invited_user_id = (select platform.uid()) or bandsy.is_group_admin(group_id));
create policy group_invitations_admin_invite on bandsy.group_invitations for insert to matchbase_user
  with check (bandsy.is_group_admin(group_id) and invited_by = (select platform.uid()));
-- The invitee accepts or declines; an admin revokes.
create policy group_invitations_respond on bandsy.group_invitations for update to matchbase_user
  using (invited_user_id = (select platform.uid()) or bandsy.is_group_admin(group_id))
  with check (invited_user_id = (select platform.uid()) or bandsy.is_group_admin(group_id));

alter table bandsy.events enable row level security;
alter table bandsy.events force row level security;
grant select, insert, update, delete on bandsy.events to matchbase_user;
create policy events_read on bandsy.events for select to matchbase_user
  using ((is_public and (select bandsy.is_musician())) or bandsy.is_group_member(group_id));
create policy events_admin_write on bandsy.events for all to matchbase_user
  using (bandsy.is_group_admin(group_id)) with check (bandsy.is_group_admin(group_id));

alter table bandsy.subscriptions enable row level security;
alter table bandsy.subscriptions force row level security;
grant select on bandsy.subscriptions to matchbase_user;
grant update (status) on bandsy.subscriptions to matchbase_user;
-- Subscriptions are written by the payment flow (owner role); a subscriber may cancel theirs.
create policy subscriptions_own_read on bandsy.subscriptions for select to matchbase_user
  using (user_id = (select platform.uid()));
create policy subscriptions_own_cancel on bandsy.subscriptions for update to matchbase_user
  using (user_id = (select platform.uid()) and status = 'active')
  with check (user_id = (select platform.uid()) and status = 'cancelled');

alter table bandsy.auth_tokens enable row level security;
alter table bandsy.auth_tokens force row level security;

alter table bandsy.notifications enable row level security;
alter table bandsy.notifications force row level security;
grant select on bandsy.notifications to matchbase_user;
grant update (read_at) on bandsy.notifications to matchbase_user;
create policy notifications_recipient on bandsy.notifications for all to matchbase_user
  using (user_id = (select platform.uid())) with check (user_id = (select platform.uid()));

-- migrate:down
drop table bandsy.notifications;
drop table bandsy.auth_tokens;
drop table bandsy.messages;
drop table bandsy.conversation_participants;
drop table bandsy.conversations;
drop table bandsy.subscriptions;
drop table bandsy.events;
drop table bandsy.group_genres;
drop table bandsy.group_members;
drop table bandsy.group_invitations;
drop table bandsy.groups;
drop table bandsy.matches;
drop table bandsy.user_interactions;
drop table bandsy.user_match_profiles;
drop table bandsy.media_sample_genres;
drop table bandsy.user_genres;
drop table bandsy.user_instruments;
drop table bandsy.media_samples;
drop table bandsy.genres;
drop table bandsy.instruments;
drop table bandsy.users;
drop function bandsy.guard_role_change();
drop function bandsy.create_mutual_match(uuid, numeric, json);
drop function bandsy.sync_group_participants();
drop function bandsy.found_group();
drop function bandsy.enforce_max_members();
drop function bandsy.keep_one_admin();
drop function bandsy.blocked_by_or_blocking_me();
drop function bandsy.can_post(uuid);
drop function bandsy.is_group_admin(uuid);
drop function bandsy.is_group_member(uuid);
drop function bandsy.is_participant(uuid);
drop function bandsy.is_visible_user(uuid);
drop function bandsy.is_musician();
drop function bandsy.plan_rank(text);
drop function bandsy.plan_of(uuid, timestamptz);
drop function bandsy.refresh_activity_scores(timestamptz);
drop function bandsy.count_activity();
drop function bandsy.sync_match_profile();
drop function bandsy.refresh_match_profile(uuid);
drop function bandsy.skill_rank(bandsy.skill_level);
drop function bandsy.check_genre_depth();
drop type bandsy.group_role;
drop type bandsy.message_type;
drop type bandsy.interaction_context;
drop type bandsy.interaction_type;
drop type bandsy.skill_level;
drop schema bandsy;
