import { randomBytes, createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import net from 'node:net';
import forge from 'node-forge';
import type { CertificateAuthority } from './ca.ts';

export interface LeafCertificate {
  certPem: string;
  keyPem: string;
}

// Browsers reject leaf certificates valid for more than 398 days.
const LEAF_VALIDITY_DAYS = 397;

/** Signs per-host certificates with the CA, all sharing the CA's leaf key, cached by host. */
export class LeafIssuer {
  private readonly cache = new Map<string, LeafCertificate>();
  private readonly caCert: forge.pki.Certificate;
  private readonly leafPublicKey: forge.pki.rsa.PublicKey;

  constructor(private readonly ca: CertificateAuthority) {
    this.caCert = forge.pki.certificateFromPem(ca.certPem);
    const leafKey = forge.pki.privateKeyFromPem(ca.leafKeyPem) as forge.pki.rsa.PrivateKey;
    this.leafPublicKey = forge.pki.setRsaPublicKey(leafKey.n, leafKey.e);
  }

  issue(hostname: string): LeafCertificate {
    const cached = this.cache.get(hostname);
    if (cached) return cached;
    const cert = forge.pki.createCertificate();
    cert.publicKey = this.leafPublicKey;
    cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
    const now = Date.now();
    cert.validity.notBefore = new Date(now - 24 * 3600 * 1000);
    cert.validity.notAfter = new Date(now + LEAF_VALIDITY_DAYS * 24 * 3600 * 1000);
    cert.setSubject([{ name: 'commonName', value: hostname.slice(0, 64) }]);
    cert.setIssuer(this.caCert.subject.attributes);
    const altName = net.isIP(hostname) ? { type: 7, ip: hostname } : { type: 2, value: hostname };
    cert.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [altName] },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: this.caCert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    signNatively(cert, this.ca.keyPem);
    const leaf = { certPem: forge.pki.certificateToPem(cert), keyPem: this.ca.leafKeyPem };
    this.cache.set(hostname, leaf);
    return leaf;
  }
}

/** Base64 SHA-256 of the shared leaf key's SubjectPublicKeyInfo, for Chromium's --ignore-certificate-errors-spki-list. */
export function leafSpkiHash(ca: CertificateAuthority): string {
  const spki = createPublicKey(ca.leafKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

const caKeys = new Map<string, KeyObject>();

/**
 * What forge's cert.sign() does, with the RSA signature made by OpenSSL instead of forge's
 * JavaScript big integers: about 1 ms instead of 20 ms, on the event loop, per new host.
 */
function signNatively(cert: forge.pki.Certificate, caKeyPem: string): void {
  let key = caKeys.get(caKeyPem);
  if (!key) caKeys.set(caKeyPem, (key = createPrivateKey(caKeyPem)));
  const oid = forge.pki.oids.sha256WithRSAEncryption;
  const signed = cert as forge.pki.Certificate & { md: forge.md.MessageDigest; tbsCertificate: forge.asn1.Asn1 };
  signed.md = forge.md.sha256.create();
  signed.signatureOid = oid;
  signed.siginfo.algorithmOid = oid;
  // Present in node-forge since 0.7, missing from @types/node-forge.
  signed.tbsCertificate = (
    forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }
  ).getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(signed.tbsCertificate).getBytes(), 'binary');
  signed.signature = sign('sha256', tbs, key).toString('binary');
}
