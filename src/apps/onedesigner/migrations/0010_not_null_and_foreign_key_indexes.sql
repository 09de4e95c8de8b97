-- Columns every writer fills, or whose default the seed gives (DEFAULT now(), false, '{}', ...)
-- and that no caller ever sets to null, become NOT NULL, so the API document stops calling them
-- nullable and a bug that writes null fails at the write instead of surfacing in a client. Foreign
-- keys declared ON DELETE CASCADE in the seed are never null either: a brief, match or request
-- without its client or designer means nothing. client_designers.match_id stays nullable (ON
-- DELETE SET NULL keeps the unlock when its match expires), as do the columns set later in a row's
-- life (last_login_at, responded_at, ...) and the tables the platform purchase and OTP work is
-- reshaping (auth_tokens, notifications, credit_purchases).
-- Rows that hold a null where a default exists are first given that default; a null foreign key
-- has no sensible value, so SET NOT NULL fails loudly on one rather than guessing.
--
-- Every foreign key also gets an index leading with its columns (test/catalog/foreign-key-indexes
-- .test.ts), so deleting or re-keying the referenced row does not scan the referencing table.
-- Plain CREATE INDEX, because migrations run in a transaction; on a large production table, build
-- the same index with CREATE INDEX CONCURRENTLY by hand first (this file's IF NOT EXISTS then
-- skips it).
-- migrate:up
update onedesigner.clients set
  match_credits = coalesce(match_credits, 0),
  is_verified = coalesce(is_verified, false),
  profile_completed = coalesce(profile_completed, false),
  created_at = coalesce(created_at, now()),
  updated_at = coalesce(updated_at, now()),
  metadata = coalesce(metadata, '{}'::jsonb)
where match_credits is null or is_verified is null or profile_completed is null or created_at is null or updated_at is null or metadata is null;
alter table onedesigner.clients
  alter column match_credits set not null,
  alter column is_verified set not null,
  alter column profile_completed set not null,
  alter column created_at set not null,
  alter column updated_at set not null,
  alter column metadata set not null;

update onedesigner.designers set
  categories = coalesce(categories, ARRAY[]::text[]),
  industries_worked = coalesce(industries_worked, ARRAY[]::text[]),
  design_styles = coalesce(design_styles, ARRAY[]::text[]),
  tools = coalesce(tools, ARRAY[]::text[]),
  skills = coalesce(skills, ARRAY[]::text[]),
  portfolio_images = coalesce(portfolio_images, '[]'::jsonb),
  case_studies = coalesce(case_studies, '[]'::jsonb),
  availability_status = coalesce(availability_status, 'available'::character varying),
  is_verified = coalesce(is_verified, false),
  is_approved = coalesce(is_approved, false),
  edited_after_approval = coalesce(edited_after_approval, false),
  created_at = coalesce(created_at, now()),
  updated_at = coalesce(updated_at, now()),
  metadata = coalesce(metadata, '{}'::jsonb)
where categories is null or industries_worked is null or design_styles is null or tools is null or skills is null or portfolio_images is null or case_studies is null or availability_status is null or is_verified is null or is_approved is null or edited_after_approval is null or created_at is null or updated_at is null or metadata is null;
alter table onedesigner.designers
  alter column categories set not null,
  alter column industries_worked set not null,
  alter column design_styles set not null,
  alter column tools set not null,
  alter column skills set not null,
  alter column portfolio_images set not null,
  alter column case_studies set not null,
  alter column availability_status set not null,
  alter column is_verified set not null,
  alter column is_approved set not null,
  alter column edited_after_approval set not null,
  alter column created_at set not null,
  alter column updated_at set not null,
  alter column metadata set not null;

update onedesigner.admins set
  created_at = coalesce(created_at, now())
where created_at is null;
alter table onedesigner.admins
  alter column created_at set not null;

update onedesigner.briefs set
  styles = coalesce(styles, ARRAY[]::text[]),
  deliverables = coalesce(deliverables, ARRAY[]::text[]),
  reference_materials = coalesce(reference_materials, '[]'::jsonb),
  category_specific_fields = coalesce(category_specific_fields, '{}'::jsonb),
  status = coalesce(status, 'active'::character varying),
  created_at = coalesce(created_at, now()),
  updated_at = coalesce(updated_at, now()),
  metadata = coalesce(metadata, '{}'::jsonb)
where styles is null or deliverables is null or reference_materials is null or category_specific_fields is null or status is null or created_at is null or updated_at is null or metadata is null;
alter table onedesigner.briefs
  alter column client_id set not null,
  alter column styles set not null,
  alter column deliverables set not null,
  alter column reference_materials set not null,
  alter column category_specific_fields set not null,
  alter column status set not null,
  alter column created_at set not null,
  alter column updated_at set not null,
  alter column metadata set not null;

update onedesigner.matches set
  ai_analysis = coalesce(ai_analysis, '{}'::jsonb),
  match_version = coalesce(match_version, 'v1'::character varying),
  ai_provider = coalesce(ai_provider, 'deepseek'::character varying),
  status = coalesce(status, 'active'::character varying),
  created_at = coalesce(created_at, now()),
  updated_at = coalesce(updated_at, now()),
  metadata = coalesce(metadata, '{}'::jsonb)
where ai_analysis is null or match_version is null or ai_provider is null or status is null or created_at is null or updated_at is null or metadata is null;
alter table onedesigner.matches
  alter column client_id set not null,
  alter column designer_id set not null,
  alter column brief_id set not null,
  alter column ai_analysis set not null,
  alter column match_version set not null,
  alter column ai_provider set not null,
  alter column status set not null,
  alter column created_at set not null,
  alter column updated_at set not null,
  alter column metadata set not null;

update onedesigner.client_designers set
  unlocked_via = coalesce(unlocked_via, 'credit'::character varying),
  credits_used = coalesce(credits_used, 1),
  unlocked_at = coalesce(unlocked_at, now()),
  created_at = coalesce(created_at, now()),
  metadata = coalesce(metadata, '{}'::jsonb)
where unlocked_via is null or credits_used is null or unlocked_at is null or created_at is null or metadata is null;
alter table onedesigner.client_designers
  alter column client_id set not null,
  alter column designer_id set not null,
  alter column unlocked_via set not null,
  alter column credits_used set not null,
  alter column unlocked_at set not null,
  alter column created_at set not null,
  alter column metadata set not null;

update onedesigner.project_requests set
  status = coalesce(status, 'pending'::character varying),
  created_at = coalesce(created_at, now()),
  updated_at = coalesce(updated_at, now()),
  metadata = coalesce(metadata, '{}'::jsonb)
where status is null or created_at is null or updated_at is null or metadata is null;
alter table onedesigner.project_requests
  alter column match_id set not null,
  alter column client_id set not null,
  alter column designer_id set not null,
  alter column status set not null,
  alter column created_at set not null,
  alter column updated_at set not null,
  alter column metadata set not null;

update onedesigner.designer_embeddings set
  model_version = coalesce(model_version, 'text-embedding-3-small'::character varying),
  generated_at = coalesce(generated_at, now()),
  updated_at = coalesce(updated_at, now()),
  needs_update = coalesce(needs_update, false),
  metadata = coalesce(metadata, '{}'::jsonb)
where model_version is null or generated_at is null or updated_at is null or needs_update is null or metadata is null;
alter table onedesigner.designer_embeddings
  alter column designer_id set not null,
  alter column model_version set not null,
  alter column generated_at set not null,
  alter column updated_at set not null,
  alter column needs_update set not null,
  alter column metadata set not null;

update onedesigner.match_cache set
  ai_analysis = coalesce(ai_analysis, '{}'::jsonb),
  created_at = coalesce(created_at, now()),
  cache_hits = coalesce(cache_hits, 0)
where ai_analysis is null or created_at is null or cache_hits is null;
alter table onedesigner.match_cache
  alter column brief_id set not null,
  alter column designer_id set not null,
  alter column ai_analysis set not null,
  alter column created_at set not null,
  alter column cache_hits set not null;

create index if not exists client_designers_match_idx on onedesigner.client_designers (match_id);
create index if not exists credit_purchases_package_idx on onedesigner.credit_purchases (package_id);

-- migrate:down
drop index onedesigner.credit_purchases_package_idx;
drop index onedesigner.client_designers_match_idx;

alter table onedesigner.match_cache
  alter column brief_id drop not null,
  alter column designer_id drop not null,
  alter column ai_analysis drop not null,
  alter column created_at drop not null,
  alter column cache_hits drop not null;
alter table onedesigner.designer_embeddings
  alter column designer_id drop not null,
  alter column model_version drop not null,
  alter column generated_at drop not null,
  alter column updated_at drop not null,
  alter column needs_update drop not null,
  alter column metadata drop not null;
alter table onedesigner.project_requests
  alter column match_id drop not null,
  alter column client_id drop not null,
  alter column designer_id drop not null,
  alter column status drop not null,
  alter column created_at drop not null,
  alter column updated_at drop not null,
  alter column metadata drop not null;
alter table onedesigner.client_designers
  alter column client_id drop not null,
  alter column designer_id drop not null,
  alter column unlocked_via drop not null,
  alter column credits_used drop not null,
  alter column unlocked_at drop not null,
  alter column created_at drop not null,
  alter column metadata drop not null;
alter table onedesigner.matches
  alter column client_id drop not null,
  alter column designer_id drop not null,
  alter column brief_id drop not null,
  alter column ai_analysis drop not null,
  alter column match_version drop not null,
  alter column ai_provider drop not null,
  alter column status drop not null,
  alter column created_at drop not null,
  alter column updated_at drop not null,
  alter column metadata drop not null;
alter table onedesigner.briefs
  alter column client_id drop not null,
  alter column styles drop not null,
  alter column deliverables drop not null,
  alter column reference_materials drop not null,
  alter column category_specific_fields drop not null,
  alter column status drop not null,
  alter column created_at drop not null,
  alter column updated_at drop not null,
  alter column metadata drop not null;
alter table onedesigner.admins
  alter column created_at drop not null;
alter table onedesigner.designers
  alter column categories drop not null,
  alter column industries_worked drop not null,
  alter column design_styles drop not null,
  alter column tools drop not null,
  alter column skills drop not null,
  alter column portfolio_images drop not null,
  alter column case_studies drop not null,
  alter column availability_status drop not null,
  alter column is_verified drop not null,
  alter column is_approved drop not null,
  alter column edited_after_approval drop not null,
  alter column created_at drop not null,
  alter column updated_at drop not null,
  alter column metadata drop not null;
alter table onedesigner.clients
  alter column match_credits drop not null,
  alter column is_verified drop not null,
  alter column profile_completed drop not null,
  alter column created_at drop not null,
  alter column updated_at drop not null,
  alter column metadata drop not null;
