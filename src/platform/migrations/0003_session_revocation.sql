-- Sessions that end before their access tokens expire (docs/decisions/0019-session-revocation.md).
-- A session is a refresh-token family: the first token of a sign-in and every token rotated from
-- it share `family`, which access tokens carry as `sid`. platform.session_revocations lists the
-- sessions and users whose earlier access tokens must be refused; every API instance holds the
-- list in memory and reloads it, so a row only needs to outlive the longest access token.
-- migrate:up
alter table platform.refresh_tokens add column family uuid;

-- Existing chains: every token belongs to the family of the first token of its rotation chain.
with recursive chain (family, id, replaced_by) as (
  select t.id, t.id, t.replaced_by from platform.refresh_tokens t
  where not exists (select 1 from platform.refresh_tokens p where p.replaced_by = t.id)
  union all
  select c.family, t.id, t.replaced_by from chain c join platform.refresh_tokens t on t.id = c.replaced_by
)
update platform.refresh_tokens r set family = c.family from chain c where c.id = r.id;
update platform.refresh_tokens set family = id where family is null;
-- A row written without one (tests, tools) starts a session of its own.
alter table platform.refresh_tokens alter column family set default gen_random_uuid(), alter column family set not null;
create index idx_refresh_tokens_family on platform.refresh_tokens (family);

create table platform.session_revocations (
  app text not null,
  -- 'session': every access token with this sid; 'user': the user's tokens issued before revoked_before.
  kind text not null check (kind in ('session', 'user')),
  subject text not null,
  revoked_before timestamptz not null,
  -- When the last token this entry refuses has expired anyway (revoked_before + JWT_TTL_SECONDS).
  expires_at timestamptz not null,
  primary key (app, kind, subject)
);
create index idx_session_revocations_expires on platform.session_revocations (expires_at);
alter table platform.session_revocations enable row level security;
alter table platform.session_revocations force row level security;

-- migrate:down
drop table platform.session_revocations;
drop index platform.idx_refresh_tokens_family;
alter table platform.refresh_tokens drop column family;
