// pcad through @aws-sdk/client-acm-pca (v3): a ROOT CA created, activated
// (its CSR issued with the root template, imported), a leaf issued from the
// CSR file given, each step through the SDK's waiters, the results printed
// as one JSON object. Environment: PCA_ENDPOINT, AWS_REGION and the access
// key (env.sh's), NODE_EXTRA_CA_CERTS (the test CA bundle), LEAF_CSR.
import { readFileSync } from 'node:fs';
import {
  ACMPCAClient, CreateCertificateAuthorityCommand, GetCertificateAuthorityCsrCommand,
  IssueCertificateCommand, GetCertificateCommand, ImportCertificateAuthorityCertificateCommand,
  DescribeCertificateAuthorityCommand, ListCertificateAuthoritiesCommand,
  waitUntilCertificateAuthorityCSRCreated, waitUntilCertificateIssued,
  paginateListCertificateAuthorities,
} from '@aws-sdk/client-acm-pca';

const client = new ACMPCAClient({ endpoint: process.env.PCA_ENDPOINT, region: process.env.AWS_REGION });
const wait = { client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 };
const utf8 = (b) => Buffer.from(b).toString('utf8');

const { CertificateAuthorityArn: ca } = await client.send(new CreateCertificateAuthorityCommand({
  CertificateAuthorityType: 'ROOT',
  CertificateAuthorityConfiguration: {
    KeyAlgorithm: 'EC_prime256v1', SigningAlgorithm: 'SHA256WITHECDSA',
    Subject: { CommonName: 'js sdk root', Organization: 'pcad' },
  },
}));
await waitUntilCertificateAuthorityCSRCreated(wait, { CertificateAuthorityArn: ca });
const { Csr } = await client.send(new GetCertificateAuthorityCsrCommand({ CertificateAuthorityArn: ca }));
const root = await client.send(new IssueCertificateCommand({
  CertificateAuthorityArn: ca, Csr: Buffer.from(Csr), SigningAlgorithm: 'SHA256WITHECDSA',
  TemplateArn: 'arn:aws:acm-pca:::template/RootCACertificate/V1',
  Validity: { Value: 5, Type: 'YEARS' },
}));
await waitUntilCertificateIssued(wait, { CertificateAuthorityArn: ca, CertificateArn: root.CertificateArn });
const rootCert = await client.send(new GetCertificateCommand({ CertificateAuthorityArn: ca, CertificateArn: root.CertificateArn }));
await client.send(new ImportCertificateAuthorityCertificateCommand({
  CertificateAuthorityArn: ca, Certificate: Buffer.from(rootCert.Certificate),
}));
const { CertificateAuthority: described } = await client.send(
  new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: ca }));
const leaf = await client.send(new IssueCertificateCommand({
  CertificateAuthorityArn: ca, Csr: readFileSync(process.env.LEAF_CSR), SigningAlgorithm: 'SHA256WITHECDSA',
  Validity: { Value: 30, Type: 'DAYS' }, IdempotencyToken: 'js-sdk-leaf',
}));
await waitUntilCertificateIssued(wait, { CertificateAuthorityArn: ca, CertificateArn: leaf.CertificateArn });
const leafCert = await client.send(new GetCertificateCommand({ CertificateAuthorityArn: ca, CertificateArn: leaf.CertificateArn }));
const listed = [];
for await (const page of paginateListCertificateAuthorities({ client, pageSize: 1 }, {})) {
  listed.push(...page.CertificateAuthorities.map((c) => c.Arn));
}
let error = null;
try {
  await client.send(new DescribeCertificateAuthorityCommand({
    CertificateAuthorityArn: ca.replace(/.{12}$/, '000000000000'),
  }));
} catch (e) {
  error = { name: e.name, status: e.$metadata.httpStatusCode };
}
console.log(JSON.stringify({
  ca, status: described.Status, root: rootCert.Certificate, leafArn: leaf.CertificateArn,
  leaf: leafCert.Certificate, chain: leafCert.CertificateChain, listed, error,
}));
