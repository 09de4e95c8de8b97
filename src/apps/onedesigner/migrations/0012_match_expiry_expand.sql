-- Zero-downtime NOT NULL for onedesigner.matches.expires_at, step 1 of 3: expand
-- (docs/operations.md, "Migrations"). The seed gives every match a 7-day expiry, and the API sets
-- it, but the column has allowed null since 0001, so the expiry job had to treat null as
-- "created_at + 7 days" on the side. Here, without rewriting, scanning or long-locking the table:
--   - a default, so a writer that omits the column (an old release still running) stores an expiry;
--   - a trigger that fills a missing expiry on every insert and update, so no new null appears and
--     old rows get theirs as they are touched, while writers never fail on a row not yet backfilled
--     (a NOT VALID check here would refuse every update of such a row until the backfill reached it).
-- Step 2 is the batched backfill `matchbase maintain onedesigner-backfill-match-expiry`; step 3
-- (0013) makes the column NOT NULL and drops the trigger.
-- migrate:up
alter table onedesigner.matches alter column expires_at set default now() + interval '7 days';
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

-- migrate:down
drop trigger fill_match_expiry on onedesigner.matches;
drop function onedesigner.fill_match_expiry();
alter table onedesigner.matches alter column expires_at drop default;
