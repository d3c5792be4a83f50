// The CA lives in <data-dir>/ca in the layout http-mitm-proxy loads
// (certs/ca.pem, keys/ca.private.key, keys/ca.public.key), so the proxy reads
// our CA instead of generating its own world-readable one.
import { createHash, generateKeyPairSync, X509Certificate, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';

export interface CaFiles {
  dir: string;
  certPath: string;
  keyPath: string;
  publicKeyPath: string;
  leafKeyPath: string;
}

export interface CertificateAuthority {
  files: CaFiles;
  certPem: string;
  keyPem: string;
  /** One key shared by every leaf certificate: a new host costs a signature, not a key generation. */
  leafKeyPem: string;
  /** SHA-256 of the DER certificate, colon-separated hex. */
  fingerprint: string;
  notAfter: Date;
}

const CA_VALIDITY_YEARS = 10;
const CA_NAME = 'wirelog local CA';

export function caFiles(dataDir: string): CaFiles {
  const dir = path.join(dataDir, 'ca');
  return {
    dir,
    certPath: path.join(dir, 'certs', 'ca.pem'),
    keyPath: path.join(dir, 'keys', 'ca.private.key'),
    publicKeyPath: path.join(dir, 'keys', 'ca.public.key'),
    leafKeyPath: path.join(dir, 'keys', 'leaf.private.key'),
  };
}

export class CaError extends Error {}

/** Loads the CA of a data dir, creating it on first use. */
export function loadOrCreateCa(dataDir: string, now = new Date()): CertificateAuthority {
  const files = caFiles(dataDir);
  if (!fs.existsSync(files.certPath)) createCa(files, now);
  const certPem = fs.readFileSync(files.certPath, 'utf8');
  const keyPem = readKey(files.keyPath);
  if (!fs.existsSync(files.leafKeyPath)) writePrivate(files.leafKeyPath, newRsaKeyPem());
  const leafKeyPem = readKey(files.leafKeyPath);
  const x509 = new X509Certificate(certPem);
  const notAfter = new Date(x509.validTo);
  if (notAfter.getTime() <= now.getTime()) {
    throw new CaError(
      `the wirelog CA in ${files.dir} expired on ${notAfter.toISOString()}: run \`wirelog ca --regenerate\` and trust the new one`,
    );
  }
  return { files, certPem, keyPem, leafKeyPem, fingerprint: x509.fingerprint256, notAfter };
}

/** Replaces the CA of a data dir (and the shared leaf key) with new ones. */
export function regenerateCa(dataDir: string, now = new Date()): CertificateAuthority {
  const files = caFiles(dataDir);
  for (const file of [files.certPath, files.keyPath, files.publicKeyPath, files.leafKeyPath, path.join(files.dir, 'bundle.pem')]) fs.rmSync(file, { force: true });
  return loadOrCreateCa(dataDir, now);
}

function readKey(keyPath: string): string {
  try {
    return fs.readFileSync(keyPath, 'utf8');
  } catch (err) {
    throw new CaError(`cannot read the CA key ${keyPath} (${(err as Error).message}): fix its permissions or delete the ca folder to create a new CA`);
  }
}

function newRsaKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
}

function writePrivate(file: string, contents: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, contents, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

function createCa(files: CaFiles, now: Date): void {
  fs.mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(files.dir, 0o700);
  const keyPem = newRsaKeyPem();
  const privateKey = forge.pki.privateKeyFromPem(keyPem);
  const publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(now.getTime() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(now.getTime());
  cert.validity.notAfter.setFullYear(now.getFullYear() + CA_VALIDITY_YEARS);
  // A per-install suffix keeps two wirelog CAs apart in a trust store.
  const attrs = [
    { name: 'commonName', value: `${CA_NAME} ${createHash('sha256').update(keyPem).digest('hex').slice(0, 8)}` },
    { name: 'organizationName', value: 'wirelog' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  writePrivate(files.keyPath, keyPem);
  fs.mkdirSync(path.dirname(files.certPath), { recursive: true, mode: 0o700 });
  fs.writeFileSync(files.publicKeyPath, forge.pki.publicKeyToPem(publicKey));
  fs.writeFileSync(files.certPath, forge.pki.certificateToPem(cert));
}
