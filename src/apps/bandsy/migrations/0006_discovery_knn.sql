-- Discovery's radius search through a GiST index, nearest first. Measuring every profile in the
-- bounding box with earth_distance cost ~55 ms in a city of 16,000 musicians (docs/benchmarks.md,
-- "Bandsy discovery"); an ordered (KNN) scan of a stored earth point reads only the nearest ones.
-- The point is a stored column kept by trigger, not an expression index on ll_to_earth: such an
-- index breaks dump and restore, which run with an empty search_path. The straight-line distance
-- between two earth points grows with the great-circle one, so ordering by it is ordering by
-- distance, and sec_to_gc turns it into the exact great-circle distance.
-- migrate:up
alter table bandsy.user_match_profiles add column earth_location cube;

create function bandsy.set_earth_location() returns trigger
  language plpgsql
  set search_path = pg_catalog, public
  as $$
begin
  new.earth_location := case when new.location_lat is null or new.location_lng is null then null
                             else ll_to_earth(new.location_lat::float8, new.location_lng::float8) end;
  return new;
end $$;
create trigger user_match_profiles_earth_location
  before insert or update of location_lat, location_lng on bandsy.user_match_profiles
  for each row execute function bandsy.set_earth_location();

update bandsy.user_match_profiles set earth_location = ll_to_earth(location_lat::float8, location_lng::float8)
 where location_lat is not null and location_lng is not null;
create index user_match_profiles_earth_idx on bandsy.user_match_profiles using gist (earth_location)
  where is_active and profile_complete;

create or replace function bandsy.discovery_nearby(radius_km double precision, age_min integer, age_max integer, lim integer)
  returns table (user_id uuid, km double precision, skill_average numeric, activity_score integer,
                 last_active timestamptz, instruments json, genres json)
  language plpgsql stable
  security definer
  -- The box's selectivity is badly estimated for cubes, so the planner would take a bitmap scan
  -- and measure every profile in the box; the ordered GiST scan stops at the lim-th match.
  set enable_bitmapscan = off
  set search_path = pg_catalog, bandsy, platform, public
  as $$
declare
  me uuid := platform.uid();
  origin cube;
  radius_m double precision := least(greatest(radius_km, 0), 1000) * 1000;
begin
  select p.earth_location into origin from bandsy.user_match_profiles p where p.user_id = me;
  if me is null or origin is null then
    return;
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
    select p.user_id as id, sec_to_gc(p.earth_location <-> origin) / 1000 as km,
           p.skill_level_average as skill, p.activity_score as activity, p.last_active as seen
      from bandsy.user_match_profiles p
      join bandsy.users u on u.id = p.user_id and u.deleted_at is null
     where p.is_active and p.profile_complete
       and earth_box(origin, radius_m) @> p.earth_location
       and sec_to_gc(p.earth_location <-> origin) <= radius_m
       and p.user_id <> me
       and not exists (select 1 from dismissed x where x.id = p.user_id)
       and ((age_min is null and age_max is null)
            or (u.age is not null and u.age >= coalesce(age_min, 0) and u.age <= coalesce(age_max, 1000)))
     order by p.earth_location <-> origin
     limit lim
    ) n
    order by n.km, n.id;
end $$;

-- migrate:down
create or replace function bandsy.discovery_nearby(radius_km double precision, age_min integer, age_max integer, lim integer)
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
drop index bandsy.user_match_profiles_earth_idx;
drop trigger user_match_profiles_earth_location on bandsy.user_match_profiles;
drop function bandsy.set_earth_location();
alter table bandsy.user_match_profiles drop column earth_location;
