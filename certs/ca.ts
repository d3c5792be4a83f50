// The CA lives in <data-dir>/ca in the layout http-mitm-proxy loads
// (certs/ca.pem, keys/ca.private.key, keys/ca.public.key), so the proxy reads
// our CA instead of generating its own world-readable one.
import { createHash, generateKeyPairSync, X509Certificate, randomBytes } from 'node:crypto';
import path from 'node:path';
import forge from 'node-forge';
import { CaError } from './ca-error.ts';
import {
  createPrivateFile,
  ensureDataDir,
  ensurePrivateDir,
  readOrCreatePrivateFile,
  readPrivateFile,
  removePrivateFile,
  replacePrivateFile,
  type FileRole,
} from './safe-files.ts';

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

export { CaError };

// A CA key or certificate anyone else could have written would let them intercept every client
// that trusts it: only regular files of the user's own, in folders of theirs, are used.
const REGENERATE = { key: 'dataFiles.fix.regenerate' };
const CA_FOLDER: FileRole = {
  what: { key: 'dataFiles.role.caFolder' },
  fix: (dir) => ({ key: 'dataFiles.fix.moveCaFolder', params: { dir } }),
};
const CA_CERT: FileRole = { what: { key: 'dataFiles.role.caCert' }, fix: REGENERATE };
const CA_KEY: FileRole = { what: { key: 'dataFiles.role.caKey' }, fix: REGENERATE, secret: true };
const CA_PUBLIC_KEY: FileRole = { what: { key: 'dataFiles.role.caPublicKey' }, fix: REGENERATE };
const LEAF_KEY: FileRole = { what: { key: 'dataFiles.role.leafKey' }, fix: REGENERATE, secret: true };
export const TRUST_BUNDLE: FileRole = {
  what: { key: 'dataFiles.role.trustBundle' },
  fix: (file) => ({ key: 'dataFiles.fix.removeRewritten', params: { file } }),
};

export function bundlePath(files: CaFiles): string {
  return path.join(files.dir, 'bundle.pem');
}

/** The CA's folders, made owner-only; a link, or another user's folder, is refused. */
function prepareFolders(dataDir: string, files: CaFiles): void {
  ensureDataDir(dataDir);
  for (const dir of [files.dir, path.dirname(files.certPath), path.dirname(files.keyPath)])
    ensurePrivateDir(dir, CA_FOLDER);
}

function readText(file: string, role: FileRole): string | null {
  return readPrivateFile(file, role)?.toString('utf8') ?? null;
}

/** Loads the CA of a data dir, creating it on first use. */
export function loadOrCreateCa(dataDir: string, now = new Date()): CertificateAuthority {
  const files = caFiles(dataDir);
  prepareFolders(dataDir, files);
  let certPem = readText(files.certPath, CA_CERT);
  if (certPem === null) {
    createCa(files, now);
    certPem = readText(files.certPath, CA_CERT);
    if (certPem === null) throw new CaError({ key: 'dataFiles.ca.certVanished', params: { file: files.certPath } });
  }
  const keyPem = readText(files.keyPath, CA_KEY);
  if (keyPem === null) throw new CaError({ key: 'dataFiles.ca.keyMissing', params: { file: files.keyPath } });
  // http-mitm-proxy reads the public key too when it starts: a missing one is made again from the key.
  if (readText(files.publicKeyPath, CA_PUBLIC_KEY) === null)
    createPrivateFile(files.publicKeyPath, publicKeyPem(keyPem), CA_PUBLIC_KEY, 0o644);
  const leafKeyPem = readOrCreatePrivateFile(files.leafKeyPath, newRsaKeyPem, LEAF_KEY).toString('utf8');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
    forge.pki.privateKeyFromPem(keyPem);
    forge.pki.privateKeyFromPem(leafKeyPem);
  } catch (err) {
    throw new CaError({ key: 'dataFiles.ca.unreadable', params: { dir: files.dir, error: (err as Error).message } });
  }
  const notAfter = new Date(x509.validTo);
  if (notAfter.getTime() <= now.getTime()) {
    throw new CaError({ key: 'dataFiles.ca.expired', params: { dir: files.dir, date: notAfter.toISOString() } });
  }
  return { files, certPem, keyPem, leafKeyPem, fingerprint: x509.fingerprint256, notAfter };
}

/** Replaces the CA of a data dir (and the shared leaf key) with new ones. */
export function regenerateCa(dataDir: string, now = new Date()): CertificateAuthority {
  const files = caFiles(dataDir);
  // Checked first: removing through a linked folder would delete files outside the data dir.
  prepareFolders(dataDir, files);
  const roles: [string, FileRole][] = [
    [files.certPath, CA_CERT],
    [files.keyPath, CA_KEY],
    [files.publicKeyPath, CA_PUBLIC_KEY],
    [files.leafKeyPath, LEAF_KEY],
    [bundlePath(files), TRUST_BUNDLE],
  ];
  // A link, a foreign file or a FIFO in their place is removed (not followed): this is the fix the refusals name.
  for (const [file, role] of roles) removePrivateFile(file, role);
  return loadOrCreateCa(dataDir, now);
}

function newRsaKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();
}

function publicKeyPem(keyPem: string): string {
  const privateKey = forge.pki.privateKeyFromPem(keyPem);
  return forge.pki.publicKeyToPem(forge.pki.setRsaPublicKey(privateKey.n, privateKey.e));
}

function createCa(files: CaFiles, now: Date): void {
  const keyPem = newRsaKeyPem();
  const privateKey = forge.pki.privateKeyFromPem(keyPem);
  const publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
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
  // Each written whole under a new name and renamed into place; the certificate last, as its
  // presence is what says the CA exists.
  replacePrivateFile(files.keyPath, keyPem, CA_KEY);
  replacePrivateFile(files.publicKeyPath, forge.pki.publicKeyToPem(publicKey), CA_PUBLIC_KEY, 0o644);
  replacePrivateFile(files.certPath, forge.pki.certificateToPem(cert), CA_CERT, 0o644);
}
