-- Discovery pages come from a snapshot: the first page ranks the caller's candidates once and
-- stores their ids in order; later pages (cursor = feed id + position) read on from it, so new
-- musicians or moving scores never repeat or skip anyone between pages. A snapshot lives 30
-- minutes; the bandsy-expire-discovery-feeds job deletes it afterwards.
-- migrate:up
create table bandsy.discovery_feeds (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references bandsy.users (id) on delete cascade,
  candidate_ids uuid[] not null,
  origin_lat numeric(10, 8) not null,
  origin_lng numeric(11, 8) not null,
  radius_km integer not null check (radius_km between 1 and 1000),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  check (expires_at > created_at)
);
create index discovery_feeds_user_idx on bandsy.discovery_feeds (user_id);
create index discovery_feeds_expires_idx on bandsy.discovery_feeds (expires_at);

alter table bandsy.discovery_feeds enable row level security;
alter table bandsy.discovery_feeds force row level security;
grant select, insert, delete on bandsy.discovery_feeds to matchbase_user;
create policy discovery_feeds_own on bandsy.discovery_feeds for all to matchbase_user
  using (user_id = (select platform.uid())) with check (user_id = (select platform.uid()));

-- The radius search. Under row-level security the planner may not use a btree for the bounding
-- box: numeric comparisons are not leakproof, so they cannot run before the policies, and every
-- active profile would be measured. This function runs the box on the (is_active, location_lat,
-- location_lng) index as the owner, for the caller only: the origin is the caller's own stored
-- location (no other point can be probed), it keeps exactly the rows the policies would show
-- (active, complete, not deleted) minus the caller and whoever the caller dismissed or is
-- blocked by, and it returns only what those policies let the caller read anyway (the distance
-- instead of a location; skill, activity, instruments and genres for ranking), sparing a policy
-- check per instrument and genre row of the pool. The cards shown are read under RLS by id.
create function bandsy.discovery_nearby(radius_km double precision, age_min integer, age_max integer, lim integer)
  returns table (user_id uuid, km double precision, skill_average numeric, activity_score integer,
                 last_active timestamptz, instruments json, genres json)
  language plpgsql stable
  security definer
  set search_path = pg_catalog, bandsy, platform, public
  as $$
declare
  me uuid := platform.uid();
  lat double precision;
  lng double precision;
  d double precision := least(greatest(radius_km, 0), 1000) / 6378.168;
  s double precision;
  lat_min double precision;
  lat_max double precision;
  lng_min double precision := -180;
  lng_max double precision := 180;
begin
  select p.location_lat, p.location_lng into lat, lng from bandsy.user_match_profiles p where p.user_id = me;
  if me is null or lat is null then
    return;
  end if;
  lat_min := lat - degrees(d);
  lat_max := lat + degrees(d);
  s := sin(d) / cos(radians(lat));
  if lat_min > -90 and lat_max < 90 and s < 1 and lng - degrees(asin(s)) >= -180 and lng + degrees(asin(s)) <= 180 then
    lng_min := lng - degrees(asin(s));
    lng_max := lng + degrees(asin(s));
  end if;
  return query
    with dismissed as materialized (
      select i.to_user_id as id from bandsy.user_interactions i where i.from_user_id = me
      union
      select i.from_user_id from bandsy.user_interactions i where i.to_user_id = me and i.type = 'block'
    )
    select n.id, n.km, n.skill, n.activity, n.seen,
           coalesce((select json_agg(json_build_array(ui.instrument_id, ui.skill_level, ui.years_of_experience, coalesce(ui.is_primary, false)) order by ui.instrument_id)
                       from bandsy.user_instruments ui where ui.user_id = n.id), '[]'::json),
           coalesce((select json_agg(json_build_array(ug.genre_id, coalesce(ug.preference, 1)) order by ug.genre_id)
                       from bandsy.user_genres ug where ug.user_id = n.id), '[]'::json)
    from (
    select p.user_id as id, dist.km, p.skill_level_average as skill, p.activity_score as activity, p.last_active as seen
      from bandsy.user_match_profiles p
      cross join lateral (select earth_distance(ll_to_earth(lat, lng), ll_to_earth(p.location_lat, p.location_lng)) / 1000 as km) dist
      join bandsy.users u on u.id = p.user_id and u.deleted_at is null
     where p.is_active and p.profile_complete
       and p.location_lat between lat_min::numeric and lat_max::numeric
       and p.location_lng between lng_min::numeric and lng_max::numeric
       and dist.km <= radius_km
       and p.user_id <> me
       and not exists (select 1 from dismissed x where x.id = p.user_id)
       and ((age_min is null and age_max is null)
            or (u.age is not null and u.age >= coalesce(age_min, 0) and u.age <= coalesce(age_max, 1000)))
     order by dist.km, p.user_id
     limit lim
    ) n
    order by n.km, n.id;
end $$;
revoke execute on function bandsy.discovery_nearby(double precision, integer, integer, integer) from public;
grant execute on function bandsy.discovery_nearby(double precision, integer, integer, integer) to matchbase_user;

-- migrate:down
drop function bandsy.discovery_nearby(double precision, integer, integer, integer);
drop table bandsy.discovery_feeds;
