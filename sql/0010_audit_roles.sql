-- The audit trail out of pcad's own reach (issue 25): pcad connects with a
-- role that may only INSERT and SELECT on audit_events and only SELECT on
-- audit_chain_heads (store_role.c grants that after every start's
-- migrations, which the owner role runs). The trigger that links a new
-- event moves the chain's head, so it runs with its owner's rights, on a
-- fixed search_path (a role that may create objects cannot slip its own
-- audit_chain_heads in front of the real one).
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION audit_events_link() SECURITY DEFINER SET search_path = %I, pg_temp',
                 current_schema());
END $$;
REVOKE ALL ON audit_events, audit_chain_heads FROM PUBLIC;
