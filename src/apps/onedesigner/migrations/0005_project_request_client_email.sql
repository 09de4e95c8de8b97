-- A designer learns a client's email when, and only when, they accept the client's project
-- request. Designers cannot read onedesigner.clients under row-level security, so the database
-- fills project_requests.client_email itself: this trigger copies the client's email as the
-- request becomes accepted and keeps the column empty in every other state. No code path (API,
-- job or admin tool) can release the email early or write a different address.
-- migrate:up
create function onedesigner.release_client_email() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, onedesigner
  as $$
begin
  if new.status = 'accepted' then
    select c.email into new.client_email from onedesigner.clients c where c.id = new.client_id;
  else
    new.client_email := null;
  end if;
  return new;
end $$;
create trigger release_client_email_on_accept before insert or update on onedesigner.project_requests
  for each row execute function onedesigner.release_client_email();

-- migrate:down
drop trigger release_client_email_on_accept on onedesigner.project_requests;
drop function onedesigner.release_client_email();
