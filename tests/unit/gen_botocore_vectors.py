#!/usr/bin/env python3
"""Writes data/botocore_signed.json: acm-pca requests signed by botocore's
own SigV4Auth at a fixed time, for test_sigv4.c to verify. Rerun after a
botocore upgrade to catch signing changes: python3 gen_botocore_vectors.py"""
import datetime
import json
import os

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

WHEN = datetime.datetime(2026, 11, 22, 12, 0, 0)
botocore.auth.get_current_datetime = lambda *a, **k: WHEN
creds = Credentials('AKIAPCADTESTKEY00001', 'pcad/unit+test/secret0123456789abcdefABCD')
cases = [
    ('ListCertificateAuthorities', '{}', 'https://127.0.0.1:8443/'),
    ('ListCertificateAuthorities', '{"MaxResults": 5, "ResourceOwner": "SELF"}',
     'https://localhost:8443/'),
    ('IssueCertificate', json.dumps({
        'CertificateAuthorityArn': 'arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/'
                                   '11111111-2222-3333-4444-555555555555',
        'Csr': 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K',
        'SigningAlgorithm': 'SHA256WITHRSA', 'Validity': {'Value': 365, 'Type': 'DAYS'},
        'IdempotencyToken': 'tok \u00e9'}), 'https://pki.example.internal/'),
    ('GetCertificate', '{"CertificateAuthorityArn": "a", "CertificateArn": "b"}',
     'https://127.0.0.1:8443/prefix/'),
]
out = []
for target, body, url in cases:
    req = AWSRequest(method='POST', url=url, data=body.encode('utf-8'), headers={
        'X-Amz-Target': 'ACMPrivateCA.' + target,
        'Content-Type': 'application/x-amz-json-1.1',
    })
    botocore.auth.SigV4Auth(creds, 'acm-pca', 'us-east-1').add_auth(req)
    headers = [[k, v] for k, v in req.headers.items()]
    # botocore adds Host when sending; it signs it from the URL
    host = url.split('/')[2]
    headers.append(['Host', host])
    out.append({'method': 'POST', 'path': '/' + url.split('/', 3)[3], 'body': body,
                'headers': headers})
doc = {'access_key': creds.access_key, 'secret': creds.secret_key, 'region': 'us-east-1',
       'now': int(WHEN.replace(tzinfo=datetime.timezone.utc).timestamp()), 'requests': out}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'botocore_signed.json')
with open(path, 'w') as f:
    json.dump(doc, f, indent=1, ensure_ascii=False)
    f.write('\n')
