-- A narrow side table for the matcher's candidate query (docs/benchmarks.md): one row per
-- (category, designer) for designers who can be matched at all (approved and available), with
-- only the facts the SQL pre-rank reads. Filtering and pre-ranking ~2,000 rows of ~100 bytes
-- found by a btree on category costs a fraction of testing the categories array of every wide
-- designers row. A trigger keeps it in step with designers; rows go with their designer.
-- migrate:up
create table onedesigner.designer_match_facets (
  category text not null,
  designer_id uuid not null references onedesigner.designers (id) on delete cascade,
  industries_worked text[],
  design_styles text[],
  rate_range varchar(100),
  primary key (category, designer_id)
);
create index idx_designer_match_facets_designer on onedesigner.designer_match_facets (designer_id);

create function onedesigner.sync_match_facets() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, onedesigner
  as $$
begin
  if tg_op = 'UPDATE' then
    delete from onedesigner.designer_match_facets where designer_id = old.id;
  end if;
  if new.is_approved = true and new.availability_status = 'available' then
    insert into onedesigner.designer_match_facets (category, designer_id, industries_worked, design_styles, rate_range)
    select distinct c, new.id, new.industries_worked, new.design_styles, new.rate_range
    from unnest(new.categories) as c
    where c is not null;
  end if;
  return null;
end $$;
create trigger sync_match_facets after insert or update of categories, industries_worked, design_styles, rate_range, is_approved, availability_status
  on onedesigner.designers
  for each row execute function onedesigner.sync_match_facets();

insert into onedesigner.designer_match_facets (category, designer_id, industries_worked, design_styles, rate_range)
select distinct c, d.id, d.industries_worked, d.design_styles, d.rate_range
from onedesigner.designers d, unnest(d.categories) as c
where d.is_approved = true and d.availability_status = 'available' and c is not null;

-- Only approved designers' matching facts, which every user may read on designers already; the
-- candidate query joins designers, whose own policies still decide what is returned.
alter table onedesigner.designer_match_facets enable row level security;
alter table onedesigner.designer_match_facets force row level security;
grant select on onedesigner.designer_match_facets to matchbase_user;
create policy match_facets_readable on onedesigner.designer_match_facets for select to matchbase_user
  using (true);

-- migrate:down
drop trigger sync_match_facets on onedesigner.designers;
drop function onedesigner.sync_match_facets();
drop table onedesigner.designer_match_facets;
