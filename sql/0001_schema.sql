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
  -- where the key lives in the token: never key bytes
  key_label                     text,
  key_id                        bytea,
  csr_pem                       text,
  certificate_der               bytea,
  certificate_chain_pem         text,
  serial                        text,
  not_before                    timestamptz,
  not_after                     timestamptz,
  created_at                    timestamptz NOT NULL DEFAULT now(),
  last_state_change_at          timestamptz NOT NULL DEFAULT now(),
  restorable_until              timestamptz
);
CREATE INDEX certificate_authorities_account ON certificate_authorities (account_id, created_at, id);
