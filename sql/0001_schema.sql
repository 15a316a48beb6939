-- pcad schema, first migration. Landed migrations are never edited: later
-- changes come as 0002_..., 0003_... .

-- Server-side secrets shared by every pcad instance of one database, e.g.
-- the key that authenticates pagination tokens.
CREATE TABLE server_secrets (
  name  text PRIMARY KEY,
  value bytea NOT NULL CHECK (octet_length(value) >= 32)
);
INSERT INTO server_secrets (name, value)
VALUES ('next_token_key',
        decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));

CREATE TABLE certificate_authorities (
  id                            uuid PRIMARY KEY,
  arn                           text NOT NULL UNIQUE,
  account_id                    text NOT NULL CHECK (account_id ~ '^[0-9]{12}$'),
  region                        text NOT NULL,
  type                          text NOT NULL CHECK (type IN ('ROOT', 'SUBORDINATE')),
  status                        text NOT NULL CHECK (status IN ('CREATING', 'PENDING_CERTIFICATE',
                                  'ACTIVE', 'DELETED', 'DISABLED', 'EXPIRED', 'FAILED')),
  status_before_deletion        text,
  failure_reason                text,
  usage_mode                    text NOT NULL DEFAULT 'GENERAL_PURPOSE',
  key_storage_security_standard text NOT NULL DEFAULT 'FIPS_140_2_LEVEL_3_OR_HIGHER',
  -- CertificateAuthorityConfiguration and RevocationConfiguration as the
  -- API gave them (JSON objects)
  ca_config                     jsonb NOT NULL,
  revocation_config             jsonb,
  -- where the key lives in the token (CKA_LABEL is the CA id): never key bytes
  key_id                        bytea CHECK (key_id IS NULL OR octet_length(key_id) = 16),
  keygen_claimed_at             timestamptz,
  csr_pem                       text,
  certificate_der               bytea,
  certificate_chain_pem         text,
  serial                        text,
  not_before                    timestamptz,
  not_after                     timestamptz,
  created_at                    timestamptz NOT NULL DEFAULT now(),
  last_state_change_at          timestamptz NOT NULL DEFAULT now(),
  restorable_until              timestamptz,
  CHECK ((status = 'DELETED') = (restorable_until IS NOT NULL)),
  CHECK ((status = 'DELETED') = (status_before_deletion IS NOT NULL))
);
CREATE INDEX certificate_authorities_account ON certificate_authorities (account_id, created_at, id);
CREATE INDEX certificate_authorities_status ON certificate_authorities (status);

CREATE TABLE ca_tags (
  ca_id uuid NOT NULL REFERENCES certificate_authorities (id) ON DELETE CASCADE,
  key   text NOT NULL,
  value text,
  seq   bigserial NOT NULL,
  PRIMARY KEY (ca_id, key)
);

-- Issued certificates. The row is written PENDING (serial reserved) before
-- the token signs, and ISSUED with the DER after; a PENDING row that never
-- finishes becomes FAILED (janitor). A serial is never reused.
CREATE TABLE certificates (
  ca_id             uuid NOT NULL REFERENCES certificate_authorities (id) ON DELETE CASCADE,
  -- lower-case hex without leading zeros
  serial            text NOT NULL CHECK (serial ~ '^[1-9a-f][0-9a-f]{0,39}$'),
  arn               text NOT NULL UNIQUE,
  status            text NOT NULL CHECK (status IN ('PENDING', 'ISSUED', 'FAILED')),
  template          text NOT NULL,
  subject           text,
  der               bytea,
  not_before        timestamptz NOT NULL,
  not_after         timestamptz NOT NULL,
  requested_by      text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  issued_at         timestamptz,
  revoked_at        timestamptz,
  revocation_reason text,
  PRIMARY KEY (ca_id, serial),
  CHECK ((status = 'ISSUED') = (der IS NOT NULL)),
  CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
);
CREATE INDEX certificates_pending ON certificates (created_at) WHERE status = 'PENDING';

-- IdempotencyToken: one result per (account, operation, token) for 5 minutes.
CREATE TABLE idempotency_tokens (
  account_id text NOT NULL,
  operation  text NOT NULL,
  token      text NOT NULL,
  result     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, operation, token)
);

-- Token objects to destroy once the transaction that released them has
-- committed (PKCS#11 is not transactional).
CREATE TABLE key_destroy_pending (
  key_label  text PRIMARY KEY,
  ca_arn     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Append-only record of every use of a CA key and every lifecycle change.
CREATE TABLE audit_events (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  event       text NOT NULL,
  account_id  text,
  actor       text,
  request_id  text,
  ca_arn      text,
  serial      text,
  detail      jsonb
);
CREATE INDEX audit_events_ca ON audit_events (ca_arn, at);
