-- PutPolicy: a CA's resource policy, as given (checked when stored).
ALTER TABLE certificate_authorities ADD COLUMN policy text;
