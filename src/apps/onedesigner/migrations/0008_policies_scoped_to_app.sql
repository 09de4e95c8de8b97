-- Rows public within OneDesigner (approved profiles, their facets, the credit catalogue) were
-- public to every signed-in user of every app, since all apps' requests share the matchbase_user
-- role; the row-level security matrix found it when Bandsy's musicians joined it. They are now
-- public to OneDesigner's own users only. (Policies naming platform.uid() were never affected:
-- another app's user ids are not OneDesigner's.)
-- migrate:up
create function onedesigner.is_member() returns boolean
  language sql stable
  as $$ select coalesce(platform.claims() ->> 'app' = 'onedesigner' and platform.uid() is not null, false) $$;

alter policy "Clients can view approved designers" on onedesigner.designers
  using (is_approved = true and (select onedesigner.is_member()));
alter policy credit_packages_public on onedesigner.credit_packages
  using (active and (select onedesigner.is_member()));
alter policy match_facets_readable on onedesigner.designer_match_facets
  using ((select onedesigner.is_member()));

-- migrate:down
alter policy match_facets_readable on onedesigner.designer_match_facets using (true);
alter policy credit_packages_public on onedesigner.credit_packages using (active);
alter policy "Clients can view approved designers" on onedesigner.designers using (is_approved = true);
drop function onedesigner.is_member();
