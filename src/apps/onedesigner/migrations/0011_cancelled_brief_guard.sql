-- A cancelled brief sells nothing more: no new unlock through one of its matches and no project
-- request about it (issue 10, item 17). The API refuses both with 409 first; these triggers make
-- the rule hold for every writer, and the brief row lock (FOR SHARE, which a cancel's FOR UPDATE
-- waits for) orders an unlock or request against a concurrent cancel: whichever commits first wins.
-- migrate:up
create function onedesigner.refuse_cancelled_brief() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, onedesigner
  as $$
declare
  brief_status text;
begin
  if new.match_id is null then
    return new;
  end if;
  select b.status into brief_status
    from onedesigner.matches m join onedesigner.briefs b on b.id = m.brief_id
   where m.id = new.match_id
     for share of b;
  if brief_status = 'cancelled' then
    raise exception 'the brief of match % is cancelled', new.match_id
      using errcode = 'check_violation', constraint = 'brief_not_cancelled';
  end if;
  return new;
end $$;
create trigger unlock_refuses_cancelled_brief before insert on onedesigner.client_designers
  for each row execute function onedesigner.refuse_cancelled_brief();
create trigger request_refuses_cancelled_brief before insert on onedesigner.project_requests
  for each row execute function onedesigner.refuse_cancelled_brief();

-- migrate:down
drop trigger request_refuses_cancelled_brief on onedesigner.project_requests;
drop trigger unlock_refuses_cancelled_brief on onedesigner.client_designers;
drop function onedesigner.refuse_cancelled_brief();
