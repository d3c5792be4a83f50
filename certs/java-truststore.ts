// A PKCS12 trust store for Java clients (HttpClient, OkHttp, Apache HttpClient, any JVM tool):
// they ignore the CA variables and read only `javax.net.ssl.trustStore`, which *replaces* the
// JDK's own roots, so the store holds the system roots plus the wirelog CA, as bundle.pem does.
//
// Java takes a certificate in a PKCS12 file as a trusted entry only when its bag carries
// Oracle's trusted-key-usage attribute (what `keytool -importcert` writes); node-forge's writer
// leaves it out, so the file is put together here from forge's ASN.1 and PKCS12 key derivation.
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import path from 'node:path';
import forge from 'node-forge';
import type { CertificateAuthority } from './ca.ts';
import { readOrCreatePrivateFile, readPrivateFile, replacePrivateFile, type FileRole } from './safe-files.ts';
import { systemRootsPem } from './trust.ts';

export interface JavaTrustStore {
  file: string;
  password: string;
}

const STORE: FileRole = {
  what: { key: 'trust.role.javaStore' },
  fix: (file) => ({ key: 'dataFiles.fix.removeRewritten', params: { file } }),
};
const PASSWORD: FileRole = {
  what: { key: 'trust.role.javaPassword' },
  fix: (file) => ({ key: 'trust.fix.removeJavaStore', params: { file, store: file.replace(/\.password$/, '.p12') } }),
  secret: true,
};

const { asn1 } = forge;
const OID = {
  data: '1.2.840.113549.1.7.1',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  // Oracle's "trusted key usage": present means a trusted certificate entry to the JDK.
  trustedKeyUsage: '2.16.840.1.113894.746875.1.1',
  anyExtendedKeyUsage: '2.5.29.37.0',
  sha1: '1.3.14.3.2.26',
};
const MAC_ITERATIONS = 10_000;

export function javaTrustStorePaths(files: { dir: string }): { file: string; passwordFile: string } {
  return {
    file: path.join(files.dir, 'java-truststore.p12'),
    passwordFile: path.join(files.dir, 'java-truststore.password'),
  };
}

/** Each certificate of a PEM bundle as DER; ones Node cannot read as X.509 are left out (the JDK would refuse the whole file). */
export function certificatesOf(pem: string): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<string>();
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) {
    const der = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
    try {
      new X509Certificate(der);
    } catch {
      continue;
    }
    const digest = createHash('sha256').update(der).digest('hex');
    if (seen.has(digest)) continue;
    seen.add(digest);
    out.push(der);
  }
  return out;
}

const seq = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
const set = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, items);
const oid = (id: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(id).getBytes());
const octets = (bytes: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes);
const explicit0 = (inner: forge.asn1.Asn1) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [inner]);
// forge writes a BMPString's text as UTF-16 itself.
const bmp = (text: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, text);

/** One trusted-certificate bag: the DER, its alias, and the attribute that makes the JDK trust it. */
function trustedCertBag(der: Buffer, alias: string): forge.asn1.Asn1 {
  const certBag = seq([oid(OID.x509Certificate), explicit0(octets(der.toString('binary')))]);
  const attributes = set([
    seq([oid(OID.friendlyName), set([bmp(alias)])]),
    seq([oid(OID.trustedKeyUsage), set([oid(OID.anyExtendedKeyUsage)])]),
  ]);
  return seq([oid(OID.certBag), explicit0(certBag), attributes]);
}

/**
 * A PKCS12 file holding `certificates` as trusted entries (aliases wirelog-ca, root-1, ...; the
 * first is ours), MAC'd with `password` (HMAC-SHA1, the PKCS12 key derivation every JDK reads).
 * The same input gives the same bytes: the salt comes from the contents, so an unchanged store
 * is never rewritten.
 */
export function trustStorePkcs12(certificates: Buffer[], password: string): Buffer {
  const bags = certificates.map((der, i) => trustedCertBag(der, i === 0 ? 'wirelog-ca' : `root-${i}`));
  const safeContents = asn1.toDer(seq(bags)).getBytes();
  const authSafe = seq([seq([oid(OID.data), explicit0(octets(safeContents))])]);
  const authSafeDer = asn1.toDer(authSafe).getBytes();
  const salt = createHash('sha256')
    .update(password)
    .update(Buffer.from(authSafeDer, 'binary'))
    .digest()
    .subarray(0, 20)
    .toString('binary');
  const key = forge.pkcs12.generateKey(password, forge.util.createBuffer(salt), 3, MAC_ITERATIONS, 20);
  const hmac = forge.hmac.create();
  hmac.start('sha1', key.getBytes());
  hmac.update(authSafeDer);
  const macData = seq([
    seq([
      seq([oid(OID.sha1), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')]),
      octets(hmac.digest().getBytes()),
    ]),
    octets(salt),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(MAC_ITERATIONS).getBytes()),
  ]);
  const pfx = seq([
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(3).getBytes()),
    seq([oid(OID.data), explicit0(octets(authSafeDer))]),
    macData,
  ]);
  return Buffer.from(asn1.toDer(pfx).getBytes(), 'binary');
}

/**
 * <ca dir>/java-truststore.p12 (system roots plus our CA) and its password, made once (owner-only)
 * and rewritten only when the CA or the system roots changed.
 */
export function writeJavaTrustStore(
  ca: Pick<CertificateAuthority, 'certPem'> & { files: { dir: string } },
  rootsPem: string = systemRootsPem(),
): JavaTrustStore {
  const { file, passwordFile } = javaTrustStorePaths(ca.files);
  const password = readOrCreatePrivateFile(passwordFile, () => randomBytes(18).toString('base64url'), PASSWORD)
    .toString('utf8')
    .trim();
  const certificates = certificatesOf(`${ca.certPem}\n${rootsPem}`);
  const contents = trustStorePkcs12(certificates, password);
  const current = readPrivateFile(file, STORE);
  if (!current?.equals(contents)) replacePrivateFile(file, contents, STORE, 0o600);
  return { file, password };
}
