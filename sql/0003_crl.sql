-- CRLs (the newest two per CA): the database is their source of truth; every pcad instance writes
-- the newest one of each CA into its bucket. certificate_authorities.revocations
-- counts revocations (raised in the revoking transaction), so a CRL knows
-- which revocations it has seen even when transactions overlap.
ALTER TABLE certificate_authorities ADD COLUMN revocations bigint NOT NULL DEFAULT 0;
CREATE TABLE crls (
  ca_id        uuid NOT NULL REFERENCES certificate_authorities (id) ON DELETE CASCADE,
  number       numeric NOT NULL CHECK (number > 0),
  this_update  timestamptz NOT NULL,
  next_update  timestamptz NOT NULL,
  revocations  bigint NOT NULL,   -- the CA's counter when it was built
  config       jsonb NOT NULL,    -- the RevocationConfiguration it was built for
  target       text NOT NULL,     -- bucket/key it belongs at
  der          bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ca_id, number)
);
CREATE INDEX certificates_revoked ON certificates (ca_id) WHERE revoked_at IS NOT NULL;
