-- A new group member reads the group's messages from the moment they joined, not before
-- (issue 10, item 20; docs/apps/bandsy.md). A band talks about whom to take in, and a candidate who
-- joins should not read that; members who were there keep everything they saw.
-- conversation_participants.history_from is the newest message of the conversation when the
-- member joined (null: everything, as for founders, match partners and members before this
-- migration). It is a message time rather than a clock reading, so it orders exactly against
-- messages: every later post takes a later created_at (platform messaging serialises posts and
-- makes each later than the one before). Leaving deletes the participant row; rejoining starts
-- again from the rejoin.
-- migrate:up
alter table bandsy.conversation_participants add column history_from timestamptz;

create or replace function bandsy.sync_group_participants() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, bandsy
  as $$
begin
  if tg_op = 'INSERT' then
    insert into bandsy.conversation_participants (conversation_id, user_id, history_from)
    select c.id, new.user_id, (select max(m.created_at) from bandsy.messages m where m.conversation_id = c.id)
      from bandsy.conversations c where c.group_id = new.group_id
    on conflict (conversation_id, user_id) do nothing;
    return null;
  end if;
  delete from bandsy.conversation_participants cp
   using bandsy.conversations c
   where c.group_id = old.group_id and cp.conversation_id = c.id and cp.user_id = old.user_id;
  return null;
end $$;

-- A participant reads a message posted after the point their history starts.
create function bandsy.can_read_message(conv uuid, posted_at timestamptz) returns boolean
  language sql stable
  security definer
  set search_path = pg_catalog, bandsy, platform
  as $$
  select exists (select 1 from bandsy.conversation_participants
                  where conversation_id = conv and user_id = platform.uid()
                    and (history_from is null or posted_at > history_from))
$$;

drop policy messages_participants_read on bandsy.messages;
create policy messages_participants_read on bandsy.messages for select to matchbase_user
  using (bandsy.can_read_message(conversation_id, created_at));

-- migrate:down
drop policy messages_participants_read on bandsy.messages;
create policy messages_participants_read on bandsy.messages for select to matchbase_user
  using (bandsy.is_participant(conversation_id));
drop function bandsy.can_read_message(uuid, timestamptz);
create or replace function bandsy.sync_group_participants() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, bandsy
  as $$
begin
  if tg_op = 'INSERT' then
    insert into bandsy.conversation_participants (conversation_id, user_id)
    select c.id, new.user_id from bandsy.conversations c where c.group_id = new.group_id
    on conflict (conversation_id, user_id) do nothing;
    return null;
  end if;
  delete from bandsy.conversation_participants cp
   using bandsy.conversations c
   where c.group_id = old.group_id and cp.conversation_id = c.id and cp.user_id = old.user_id;
  return null;
end $$;
alter table bandsy.conversation_participants drop column history_from;
