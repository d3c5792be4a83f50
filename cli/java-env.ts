// Java clients (HttpClient, OkHttp, Apache HttpClient, Gradle, any JVM tool) read neither the
// proxy variables nor the CA ones: only system properties. Every JVM picks up JAVA_TOOL_OPTIONS
// at start, so wirelog run / wirelog env put the properties there, after the user's own.
import path from 'node:path';
import { readPrivateFile } from '../certs/safe-files.ts';
import { writeJavaTrustStore, type JavaTrustStore } from '../certs/java-truststore.ts';

// The properties wirelog sets; the user's own values of these are replaced (a later -D wins anyway,
// and leaving both would show two proxies in `Picked up JAVA_TOOL_OPTIONS`).
const OURS = [
  'https.proxyHost',
  'https.proxyPort',
  'http.proxyHost',
  'http.proxyPort',
  'http.nonProxyHosts',
  'javax.net.ssl.trustStore',
  'javax.net.ssl.trustStoreType',
  'javax.net.ssl.trustStorePassword',
];

/** JAVA_TOOL_OPTIONS as the JVM splits it: on white space, with "..." or '...' keeping spaces in one option. */
export function splitJavaOptions(text: string): string[] {
  return [...text.matchAll(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g)].map((m) => m[0]);
}

/** One option as the JVM reads it back: in double quotes when it holds a space or a quote. */
function javaOption(option: string): string {
  return /[\s'"]/.test(option) ? `"${option.replace(/"/g, '')}"` : option;
}

function setsOneOfOurs(option: string): boolean {
  const name = /^["']?-D([^=]+)=/.exec(option)?.[1];
  return name !== undefined && OURS.includes(name);
}

/**
 * The JAVA_TOOL_OPTIONS that send a JVM's HTTP(S) through the proxy and make it trust the wirelog
 * CA: the user's own options first, then ours. `http.nonProxyHosts` is emptied because the JDK's
 * default (localhost|127.*|[::1]) would take a local relay around wirelog.
 */
export function javaToolOptions(proxyUrl: string, store: JavaTrustStore, inherited = ''): string {
  const proxy = new URL(proxyUrl);
  const host = proxy.hostname.replace(/^\[|\]$/g, '');
  const port = proxy.port || '80';
  const ours = [
    `-Dhttps.proxyHost=${host}`,
    `-Dhttps.proxyPort=${port}`,
    `-Dhttp.proxyHost=${host}`,
    `-Dhttp.proxyPort=${port}`,
    '-Dhttp.nonProxyHosts=',
    `-Djavax.net.ssl.trustStore=${store.file}`,
    '-Djavax.net.ssl.trustStoreType=PKCS12',
    `-Djavax.net.ssl.trustStorePassword=${store.password}`,
  ].map(javaOption);
  const own = splitJavaOptions(inherited).filter((option) => !setsOneOfOurs(option));
  return [...own, ...ours].join(' ');
}

/**
 * `{ JAVA_TOOL_OPTIONS }` for launchEnv: writes the trust store beside the CA (<data-dir>/ca, from
 * the CA certificate's path) when it is missing or out of date.
 */
export function javaEnv(proxyUrl: string, caPath: string, inherited: NodeJS.ProcessEnv): { JAVA_TOOL_OPTIONS: string } {
  const caDir = path.dirname(path.dirname(caPath));
  const certPem =
    readPrivateFile(caPath, {
      what: { key: 'dataFiles.role.caCert' },
      fix: { key: 'dataFiles.fix.regenerate' },
    })?.toString('utf8') ?? '';
  const store = writeJavaTrustStore({ files: { dir: caDir }, certPem });
  return { JAVA_TOOL_OPTIONS: javaToolOptions(proxyUrl, store, inherited.JAVA_TOOL_OPTIONS) };
}
