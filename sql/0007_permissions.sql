-- CreatePermission: what the ACM service principal may do with a CA.
-- source_account is '' when the permission names none.
CREATE TABLE ca_permissions (
  ca_id          uuid NOT NULL REFERENCES certificate_authorities (id) ON DELETE CASCADE,
  principal      text NOT NULL,
  source_account text NOT NULL DEFAULT '',
  actions        text[] NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  seq            bigserial NOT NULL,
  PRIMARY KEY (ca_id, principal, source_account)
);
