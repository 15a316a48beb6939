-- Buckets belong to accounts (issue 24 item 6). The first CA configuration
-- (RevocationConfiguration.CrlConfiguration.S3BucketName, the part before
-- any '/') or audit report that names a bucket claims it for its account
-- (INSERT ... ON CONFLICT DO NOTHING, then the owner read, in the same
-- transaction as the change); a CA of another account naming it is refused.
-- source: 'claim' (first naming), 'config' ([publish] bucket_owner), or
-- 'upgrade' (a bucket named before this table existed: the oldest CA's
-- account, set at start).
CREATE TABLE bucket_owners (
  bucket     text PRIMARY KEY,
  account_id text NOT NULL CHECK (account_id ~ '^[0-9]{12}$'),
  source     text NOT NULL CHECK (source IN ('claim', 'config', 'upgrade')),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Accounts other than the owner that may name a bucket too: written from
-- the configuration ([publish] bucket_owner) at every start, nothing else.
CREATE TABLE bucket_sharers (
  bucket     text NOT NULL REFERENCES bucket_owners (bucket) ON DELETE CASCADE,
  account_id text NOT NULL CHECK (account_id ~ '^[0-9]{12}$'),
  PRIMARY KEY (bucket, account_id)
);
