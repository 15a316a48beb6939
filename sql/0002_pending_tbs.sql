-- What a PENDING certificate needs to be finished by the janitor after a
-- crash: the certificate as it will be signed (DER, empty signature) and
-- the SigningAlgorithm. Cleared once the certificate is ISSUED or FAILED.
ALTER TABLE certificates ADD COLUMN tbs bytea, ADD COLUMN signing_algorithm text;
