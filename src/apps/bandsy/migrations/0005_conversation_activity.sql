-- Conversations are listed by newest activity (seed: "UpdatedAt tracks last activity for
-- sorting"). Musicians may not update conversations, and should not: a participant could pin a
-- chat to the top of everyone's list. The time follows each message instead, here, whoever
-- inserts it (the API, a seeding tool, a backfill).
-- migrate:up
create function bandsy.touch_conversation() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, bandsy
  as $$
begin
  update bandsy.conversations
     set updated_at = greatest(coalesce(updated_at, new.created_at), new.created_at)
   where id = new.conversation_id;
  return null;
end $$;
create trigger messages_touch_conversation after insert on bandsy.messages
  for each row execute function bandsy.touch_conversation();

-- migrate:down
drop trigger messages_touch_conversation on bandsy.messages;
drop function bandsy.touch_conversation();
