import fs from 'node:fs';
import tls from 'node:tls';
import { bundlePath, TRUST_BUNDLE, type CertificateAuthority } from './ca.ts';
import { readPrivateFile, replacePrivateFile } from './safe-files.ts';
import { shellWord } from './install.ts';

// Where distributions keep the system trust store as one PEM file (the list Go uses).
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

/** The system's root certificates as PEM, falling back to Node's bundled Mozilla list. */
export function systemRootsPem(): string {
  for (const file of SYSTEM_BUNDLES) {
    try {
      const pem = fs.readFileSync(file, 'utf8');
      if (pem.includes('BEGIN CERTIFICATE')) return pem;
    } catch {
      // try the next location
    }
  }
  return tls.rootCertificates.join('\n');
}

/**
 * Writes <ca dir>/bundle.pem: system roots plus our CA, for clients whose CA variable
 * replaces the default roots (OpenSSL's SSL_CERT_FILE, requests, curl, git).
 */
export function writeTrustBundle(ca: CertificateAuthority): string {
  const file = bundlePath(ca.files);
  const contents = `${systemRootsPem().trimEnd()}\n${ca.certPem.trimEnd()}\n`;
  // Read and written in the data dir's own way: a link planted in its place is refused, never written through.
  const current = readPrivateFile(file, TRUST_BUNDLE)?.toString('utf8');
  if (current !== contents) replacePrivateFile(file, contents, TRUST_BUNDLE, 0o644);
  return file;
}

/** The sentences around the commands: English, unless the caller gives them in its own language. */
export interface TrustWords {
  intro: string;
  asRoot: string;
  windows: string;
  clients: string;
}

const ENGLISH_TRUST_WORDS: TrustWords = {
  intro: 'How to trust it system-wide (only needed for apps that wirelog run / wirelog env cannot configure):',
  asRoot: '(as root: the same without sudo)',
  windows: 'Windows (PowerShell as administrator):',
  clients:
    'Node apps: NODE_EXTRA_CA_CERTS; Codex: CODEX_CA_CERTIFICATE; Python requests: REQUESTS_CA_BUNDLE (see `wirelog env`).',
};

/** `asRoot`: root needs no sudo, and minimal systems (containers) often have none. */
export function trustInstructions(
  certPath: string,
  asRoot = process.getuid?.() === 0,
  words: TrustWords = ENGLISH_TRUST_WORDS,
): string {
  const sudo = asRoot ? '' : 'sudo ';
  // In double quotes, with what would expand there escaped: $ ` " \ for POSIX shells, by a backquote for PowerShell.
  const cert = `"${certPath.replace(/(["$`\\])/g, '\\$1')}"`;
  const psCert = `"${certPath.replace(/(["$`])/g, '`$1')}"`;
  const asUser = asRoot ? '' : `   ${words.asRoot}`;
  return [
    words.intro,
    '  macOS:',
    `    sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${cert}`,
    `  Debian / Ubuntu:${asUser}`,
    `    ${sudo}cp ${cert} /usr/local/share/ca-certificates/wirelog.crt && ${sudo}update-ca-certificates`,
    `  Fedora / RHEL:${asUser}`,
    `    ${sudo}cp ${cert} /etc/pki/ca-trust/source/anchors/wirelog.pem && ${sudo}update-ca-trust`,
    `  ${words.windows}`,
    `    Import-Certificate -FilePath ${psCert} -CertStoreLocation Cert:\\LocalMachine\\Root`,
    words.clients,
  ].join('\n');
}

/** The sentences around the browser and Java commands (trust.stores in the catalogue). */
export interface StoreWords {
  intro: string;
  nss: string;
  java: string;
  install: string;
}

/**
 * The stores browsers and Java keep of their own: NSS (Chromium's ~/.pki/nssdb, each Firefox
 * profile) with certutil, and the JDK's cacerts with keytool. The paths are quoted for the shell;
 * $HOME stays a variable, so the line is the same for everyone.
 */
export function storeInstructions(certPath: string, words: StoreWords): string {
  const cert = shellWord(certPath);
  return [
    words.intro,
    words.nss,
    `    certutil -d sql:"$HOME/.pki/nssdb" -A -t C,, -n wirelog -i ${cert}`,
    `    certutil -d sql:"$HOME/.mozilla/firefox/PROFILE" -A -t C,, -n wirelog -i ${cert}`,
    words.java,
    `    keytool -importcert -noprompt -trustcacerts -cacerts -storepass changeit -alias wirelog -file ${cert}`,
    words.install,
  ].join('\n');
}
