-- The audit trail, tamper-evident (security-and-faults.md F3):
-- append-only (UPDATE, DELETE and TRUNCATE refused by triggers, for every
-- role) and hash-chained per CA (events about pcad itself, without a CA,
-- form the chain 'pcad'). Each row carries its chain, its place in it
-- (seq, 1, 2, 3 ... without gaps) and
--   hash = sha256(prev_hash || audit_events_content(row))
-- where prev_hash is the previous row's hash (32 zero bytes for the first)
-- and the content is every field, each as <octet length>:<text> or N for
-- NULL. The chain's head (audit_chain_heads) is locked while a row is
-- added, so a chain is one sequence even with many instances. `pcad audit
-- verify` recomputes every hash in C and reports the first broken link: an
-- edited row, a deleted one (a gap), or a deleted tail (the head ahead).

CREATE TABLE audit_chain_heads (
  chain text PRIMARY KEY,
  seq   bigint NOT NULL,
  prev  bytea NOT NULL, -- the hash before the last event's
  hash  bytea NOT NULL  -- the last event's
);

ALTER TABLE audit_events
  ADD COLUMN chain text,
  ADD COLUMN seq bigint,
  ADD COLUMN prev_hash bytea,
  ADD COLUMN hash bytea;

CREATE FUNCTION audit_events_field(v text) RETURNS text
  LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(octet_length(v)::text || ':' || v, 'N') $$;

CREATE FUNCTION audit_events_content(r audit_events) RETURNS text
  LANGUAGE sql IMMUTABLE AS $$
  SELECT audit_events_field(r.chain) || audit_events_field(r.seq::text)
      || audit_events_field((extract(epoch FROM r.at) * 1000000)::bigint::text)
      || audit_events_field(r.event) || audit_events_field(r.account_id)
      || audit_events_field(r.actor) || audit_events_field(r.request_id)
      || audit_events_field(r.ca_arn) || audit_events_field(r.serial)
      || audit_events_field(r.detail::text)
$$;

-- One statement per event on the head: the UPDATE waits for the head's row
-- lock and then sees the latest head, so concurrent writers of one chain
-- line up; a chain's first event makes its head (ON CONFLICT: two first
-- events at once). The content is audit_events_content()'s, written out so
-- that the new seq goes in without a second statement.
CREATE FUNCTION audit_events_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  rest text;
BEGIN
  NEW.chain := coalesce(NEW.ca_arn, 'pcad');
  rest := audit_events_field((extract(epoch FROM NEW.at) * 1000000)::bigint::text)
      || audit_events_field(NEW.event) || audit_events_field(NEW.account_id)
      || audit_events_field(NEW.actor) || audit_events_field(NEW.request_id)
      || audit_events_field(NEW.ca_arn) || audit_events_field(NEW.serial)
      || audit_events_field(NEW.detail::text);
  UPDATE audit_chain_heads SET prev = hash, seq = seq + 1,
      hash = sha256(hash || convert_to(audit_events_field(NEW.chain)
                                       || audit_events_field((seq + 1)::text) || rest, 'UTF8'))
    WHERE chain = NEW.chain
    RETURNING seq, prev, hash INTO NEW.seq, NEW.prev_hash, NEW.hash;
  IF NOT FOUND THEN
    INSERT INTO audit_chain_heads AS h (chain, seq, prev, hash)
      VALUES (NEW.chain, 1, '\x0000000000000000000000000000000000000000000000000000000000000000',
              sha256('\x0000000000000000000000000000000000000000000000000000000000000000'
                     || convert_to(audit_events_field(NEW.chain) || audit_events_field('1')
                                   || rest, 'UTF8')))
      ON CONFLICT (chain) DO UPDATE SET prev = h.hash, seq = h.seq + 1,
        hash = sha256(h.hash || convert_to(audit_events_field(NEW.chain)
                                           || audit_events_field((h.seq + 1)::text) || rest,
                                           'UTF8'))
      RETURNING seq, prev, hash INTO NEW.seq, NEW.prev_hash, NEW.hash;
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION audit_events_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

-- the rows from before this migration start each chain, in id order
DO $$
DECLARE
  r audit_events;
  head audit_chain_heads%ROWTYPE;
BEGIN
  FOR r IN SELECT * FROM audit_events ORDER BY id LOOP
    r.chain := coalesce(r.ca_arn, 'pcad');
    INSERT INTO audit_chain_heads (chain, seq, prev, hash)
      VALUES (r.chain, 0, '\x', '\x0000000000000000000000000000000000000000000000000000000000000000')
      ON CONFLICT (chain) DO NOTHING;
    SELECT * INTO head FROM audit_chain_heads WHERE chain = r.chain;
    r.seq := head.seq + 1;
    r.prev_hash := head.hash;
    r.hash := sha256(head.hash || convert_to(audit_events_content(r), 'UTF8'));
    UPDATE audit_events SET chain = r.chain, seq = r.seq, prev_hash = r.prev_hash, hash = r.hash
      WHERE id = r.id;
    UPDATE audit_chain_heads SET seq = r.seq, prev = r.prev_hash, hash = r.hash
      WHERE chain = r.chain;
  END LOOP;
END $$;

ALTER TABLE audit_events
  ALTER COLUMN chain SET NOT NULL,
  ALTER COLUMN seq SET NOT NULL,
  ALTER COLUMN prev_hash SET NOT NULL,
  ALTER COLUMN hash SET NOT NULL;
CREATE UNIQUE INDEX audit_events_chain_seq ON audit_events (chain, seq);

CREATE TRIGGER audit_events_link BEFORE INSERT ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_link();
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_refuse();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse();
