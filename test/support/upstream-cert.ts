import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface TestCertificate {
  certPem: string;
  keyPem: string;
}

/**
 * A self-signed certificate for a local fake upstream, made at test time. A negative
 * validDays gives one that expired that many days ago.
 */
export function selfSignedCertificate(hosts: string[] = ['localhost', '127.0.0.1'], validDays = 30): TestCertificate {
  const keyPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notAfter = new Date(Date.now() + validDays * 86400_000);
  cert.validity.notBefore = new Date(Math.min(Date.now(), cert.validity.notAfter.getTime()) - 30 * 86400_000);
  const attrs = [{ name: 'commonName', value: hosts[0] }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    {
      name: 'subjectAltName',
      altNames: hosts.map((h) => (/^[\d.]+$/.test(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}
