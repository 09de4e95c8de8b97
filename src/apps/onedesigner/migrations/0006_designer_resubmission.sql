-- A rejected designer who changes their profile goes back to the pending queue: the rejection
-- was about the profile, so a changed profile deserves a fresh look. The reason is kept in
-- metadata (last_rejection_reason) for the reviewer. Named so that it fires after
-- guard_designer_approval (triggers fire in name order), which therefore sees the designer's
-- own update only, not this reset.
-- migrate:up
create function onedesigner.resubmit_rejected_designer() returns trigger
  language plpgsql
  as $$
begin
  if platform.role() = 'designer' and
     old.is_approved is not true and new.is_approved is not true and
     old.rejection_reason is not null and
     new.rejection_reason is not distinct from old.rejection_reason and (
       old.first_name is distinct from new.first_name or
       old.last_name is distinct from new.last_name or
       old.professional_title is distinct from new.professional_title or
       old.bio is distinct from new.bio or
       old.location is distinct from new.location or
       old.avatar_url is distinct from new.avatar_url or
       old.years_experience is distinct from new.years_experience or
       old.categories is distinct from new.categories or
       old.industries_worked is distinct from new.industries_worked or
       old.design_styles is distinct from new.design_styles or
       old.tools is distinct from new.tools or
       old.skills is distinct from new.skills or
       old.portfolio_url is distinct from new.portfolio_url or
       old.portfolio_images is distinct from new.portfolio_images or
       old.case_studies is distinct from new.case_studies or
       old.rate_range is distinct from new.rate_range
     ) then
    new.metadata = coalesce(new.metadata, '{}'::jsonb) || jsonb_build_object('last_rejection_reason', old.rejection_reason);
    new.rejection_reason = null;
  end if;
  return new;
end $$;
create trigger resubmit_rejected_designer before update on onedesigner.designers
  for each row execute function onedesigner.resubmit_rejected_designer();

-- migrate:down
drop trigger resubmit_rejected_designer on onedesigner.designers;
drop function onedesigner.resubmit_rejected_designer();
