-- Zero-downtime NOT NULL for onedesigner.matches.expires_at, step 3 of 3: contract (0012 expanded,
-- `matchbase maintain onedesigner-backfill-match-expiry` backfilled). SET NOT NULL alone would scan
-- the table under an exclusive lock; instead a CHECK is added NOT VALID (a brief lock), validated
-- (a scan under a lock that lets reads and writes go on), and SET NOT NULL then trusts it without
-- scanning (Postgres 12+). The check, now redundant, and 0012's trigger are dropped.
-- A row still without an expiry stops the migration with the command to run, rather than having
-- one giant UPDATE here lock the table.
-- migrate:up
do $$
begin
  if exists (select 1 from onedesigner.matches where expires_at is null) then
    raise exception 'onedesigner.matches has rows without expires_at: run `matchbase maintain onedesigner-backfill-match-expiry`, then migrate again';
  end if;
end $$;
alter table onedesigner.matches add constraint matches_expires_at_not_null check (expires_at is not null) not valid;
alter table onedesigner.matches validate constraint matches_expires_at_not_null;
alter table onedesigner.matches alter column expires_at set not null;
alter table onedesigner.matches drop constraint matches_expires_at_not_null;
drop trigger fill_match_expiry on onedesigner.matches;
drop function onedesigner.fill_match_expiry();

-- migrate:down
create function onedesigner.fill_match_expiry() returns trigger
  language plpgsql
  set search_path = pg_catalog
  as $$
begin
  new.expires_at := coalesce(new.expires_at, new.created_at + interval '7 days', now() + interval '7 days');
  return new;
end $$;
create trigger fill_match_expiry before insert or update on onedesigner.matches
  for each row when (new.expires_at is null) execute function onedesigner.fill_match_expiry();
alter table onedesigner.matches alter column expires_at drop not null;
