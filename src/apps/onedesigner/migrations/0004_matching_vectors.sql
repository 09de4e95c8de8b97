-- Matching at speed without pgvector (docs/benchmarks.md):
--   * designer_embeddings.embedding_f32: the embedding as big-endian float32 bytes, kept in step
--     with the seed's float8[] column by a trigger; the matcher reads these bytes because
--     parsing float8[] text in the driver costs more than the whole candidate query;
--   * a partial GIN index over the categories of designers who can be matched at all;
--   * brief_embeddings: a brief's embedding, cached with a hash of the text it was made from.
-- migrate:up
create function onedesigner.float8_to_f32(v float8[]) returns bytea
  language sql
  immutable
  parallel safe
  as $$
  select coalesce(string_agg(float4send(x::real), ''::bytea order by i), ''::bytea)
  from unnest(v) with ordinality as u(x, i)
$$;

alter table onedesigner.designer_embeddings add column embedding_f32 bytea;
update onedesigner.designer_embeddings set embedding_f32 = onedesigner.float8_to_f32(embedding);

create function onedesigner.sync_embedding_f32() returns trigger
  language plpgsql
  as $$
begin
  new.embedding_f32 = onedesigner.float8_to_f32(new.embedding);
  return new;
end $$;
create trigger sync_embedding_f32 before insert or update of embedding on onedesigner.designer_embeddings
  for each row execute function onedesigner.sync_embedding_f32();

create index idx_designers_matchable_categories on onedesigner.designers using gin (categories)
  where is_approved = true and availability_status = 'available';

create table onedesigner.brief_embeddings (
  brief_id uuid primary key references onedesigner.briefs (id) on delete cascade,
  embedding_f32 bytea not null,
  text_hash varchar(64) not null,
  model_version varchar(80) not null,
  tokens integer not null default 0,
  created_at timestamptz not null default now()
);

alter table onedesigner.brief_embeddings enable row level security;
alter table onedesigner.brief_embeddings force row level security;
grant select, insert, update, delete on onedesigner.brief_embeddings to matchbase_user;
create policy brief_embeddings_brief_owner on onedesigner.brief_embeddings for all to matchbase_user
  using (exists (select 1 from onedesigner.briefs b where b.id = brief_id and b.client_id = (select platform.uid())))
  with check (exists (select 1 from onedesigner.briefs b where b.id = brief_id and b.client_id = (select platform.uid())));

-- migrate:down
drop table onedesigner.brief_embeddings;
drop index onedesigner.idx_designers_matchable_categories;
drop trigger sync_embedding_f32 on onedesigner.designer_embeddings;
drop function onedesigner.sync_embedding_f32();
alter table onedesigner.designer_embeddings drop column embedding_f32;
drop function onedesigner.float8_to_f32(float8[]);
