-- Partitioned CRLs (CrlType PARTITIONED). A certificate issued while the
-- CA's CRLs are partitioned belongs to one partition, named by a UUID that
-- is the last part of its CDP URL (<CustomPath or crl>/<partition>.crl).
-- A partition takes the certificates of its CA issued while the shared
-- sequence passes one block of crl_partition_size numbers (so at most that
-- many, whatever the number of instances, with no lock); its id is
-- md5(CA id || ':' || block) as a UUID. crl_partitions counts the
-- revocations in each partition, like certificate_authorities.revocations
-- for the complete CRL; crls.partition is NULL for the complete CRL.
CREATE SEQUENCE crl_partition_seq;
ALTER TABLE certificates ADD COLUMN crl_partition uuid;
CREATE TABLE crl_partitions (
  ca_id       uuid NOT NULL REFERENCES certificate_authorities (id) ON DELETE CASCADE,
  id          uuid NOT NULL,
  revocations bigint NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ca_id, id)
);
ALTER TABLE crls ADD COLUMN partition uuid;
CREATE INDEX crls_partition ON crls (ca_id, partition, number);
CREATE INDEX certificates_partition_revoked ON certificates (ca_id, crl_partition)
  WHERE revoked_at IS NOT NULL;
