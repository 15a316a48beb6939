-- CreateCertificateAuthorityAuditReport: one row per report, CREATING until
-- a pcad instance (FOR UPDATE SKIP LOCKED) has written the object, then
-- SUCCESS or FAILED. certificates.subject holds the RFC 2253 form from now
-- on; rows written before hold OpenSSL's one-line form (starting with '/'),
-- and the report reads their subject from the DER.
CREATE TABLE audit_reports (
  id             uuid PRIMARY KEY,
  ca_id          uuid NOT NULL REFERENCES certificate_authorities (id) ON DELETE CASCADE,
  bucket         text NOT NULL,
  s3_key         text NOT NULL,
  format         text NOT NULL CHECK (format IN ('JSON', 'CSV')),
  status         text NOT NULL CHECK (status IN ('CREATING', 'SUCCESS', 'FAILED')),
  failure_reason text,
  requested_by   text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz
);
CREATE INDEX audit_reports_ca ON audit_reports (ca_id, created_at);
CREATE INDEX audit_reports_creating ON audit_reports (created_at) WHERE status = 'CREATING';
