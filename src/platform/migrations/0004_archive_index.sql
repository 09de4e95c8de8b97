-- Retention archive (docs/operations.md, "Retention and archiving"): rows a policy archives move
-- to <schema>_archive.<table>, created from the live table on first use (src/platform/ops/retention);
-- these two tables say what was moved, when, by which policy, and where its compressed export is.
-- Admins of an app read their app's entries under row-level security; nobody else reads any.
-- migrate:up
create table platform.archive_batches (
  id bigint generated always as identity primary key,
  policy text not null,
  app text not null,
  source_table text not null,
  archive_table text not null,
  archived_at timestamptz not null default now(),
  row_count integer not null check (row_count >= 0),
  -- Storage key of the gzip JSON-lines copy (cold storage), once exported.
  export_key text,
  exported_at timestamptz,
  restored_at timestamptz
);
create index idx_archive_batches_app on platform.archive_batches (app, archived_at desc);

create table platform.archive_index (
  batch_id bigint not null references platform.archive_batches (id) on delete cascade,
  policy text not null,
  app text not null,
  source_table text not null,
  -- The archived row's primary key as {column: value}.
  row_key jsonb not null,
  archived_at timestamptz not null,
  primary key (batch_id, row_key)
);
create index idx_archive_index_row on platform.archive_index (source_table, row_key);

alter table platform.archive_batches enable row level security;
alter table platform.archive_batches force row level security;
alter table platform.archive_index enable row level security;
alter table platform.archive_index force row level security;
grant select on platform.archive_batches, platform.archive_index to matchbase_user;
create policy archive_batches_admin on platform.archive_batches for select to matchbase_user
  using (platform.is_admin(app));
create policy archive_index_admin on platform.archive_index for select to matchbase_user
  using (platform.is_admin(app));

-- migrate:down
drop table platform.archive_index;
drop table platform.archive_batches;
