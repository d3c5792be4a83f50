// Issue 29: doctor's fix for a client that does not trust the wirelog CA names the way *that*
// client trusts it. A JVM reads neither HTTPS_PROXY nor the CA variables: its fix is
// JAVA_TOOL_OPTIONS (wirelog run / eval "$(wirelog env)") or the JDK's trust store (wirelog ca
// --install --java). What tells Java is only what the failed tunnel kept: its CONNECT's
// headers and the TLS alert in the recorded error. The CONNECT heads and alerts below are the
// ones measured against wirelog on this machine (JDK 17.0.15, curl 7.88.1, Python 3 urllib,
// undici 7), and OkHttp's and Apache HttpClient's CONNECT as their sources write it. Where that
// does not tell the client, the fix lists both ways instead of guessing.
import { describe, expect, it } from 'vitest';
import { diagnose, type Diagnosis } from '../llm/diagnose.ts';
import type { Lang } from '../llm/diagnosis-text.ts';
import type { Exchange, Header } from '../model/exchange.ts';

const ALERT_46 =
  'the client ended the TLS handshake with wirelog (ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN): it probably does not trust the wirelog CA; start it with `wirelog run` or set its CA variable (see `wirelog env`)';
const ALERT_48 =
  'the client ended the TLS handshake with wirelog (ERR_SSL_TLSV1_ALERT_UNKNOWN_CA): it probably does not trust the wirelog CA; start it with `wirelog run` or set its CA variable (see `wirelog env`)';
const CLOSED =
  'the client closed the connection during the TLS handshake with wirelog: it probably does not trust the wirelog CA; start it with `wirelog run` or set its CA variable (see `wirelog env`)';

function failedTunnel(headers: Header[], error: string): Exchange {
  return {
    id: 1,
    uid: 'tunnel-1',
    request: {
      startedAt: 0,
      clientAddress: '127.0.0.1:50000',
      method: 'CONNECT',
      scheme: 'https',
      host: 'relay.example.com',
      port: 443,
      path: '',
      httpVersion: '1.1',
      headers,
    },
    response: null,
    state: 'proxy_error',
    error,
    timings: {},
    requestBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    streamKind: null,
    eventCount: 0,
    call: null,
    diagnosis: null,
  };
}

function untrusted(headers: Header[], error: string, lang: Lang = 'en'): Diagnosis {
  const found = diagnose(
    { exchange: failedTunnel(headers, error), call: null, responseText: null, earlier: [], modelsListed: null },
    lang,
  ).find((d) => d.rule === 'untrusted-ca');
  expect(found, 'the untrusted-CA finding').toBeDefined();
  return found!;
}

const HOST: Header = ['Host', 'relay.example.com:443'];

const CASES: { client: string; headers: Header[]; error: string; id: string; label?: string }[] = [
  // Measured: HttpURLConnection names itself on CONNECT and sends certificate_unknown.
  {
    client: 'JDK 17 HttpURLConnection',
    headers: [
      ['User-Agent', 'Java/17.0.15'],
      HOST,
      ['Accept', 'text/html, image/gif, image/jpeg, */*; q=0.2'],
      ['Proxy-Connection', 'keep-alive'],
    ],
    error: ALERT_46,
    id: 'untrusted-ca.java',
    label: 'Java 17.0.15',
  },
  // OkHttp's tunnel request (okhttp3.internal.connection.RealConnection.createTunnelRequest).
  {
    client: 'OkHttp 4',
    headers: [HOST, ['Proxy-Connection', 'Keep-Alive'], ['User-Agent', 'okhttp/4.12.0']],
    error: CLOSED,
    id: 'untrusted-ca.java',
    label: 'okhttp 4.12.0',
  },
  // Apache HttpClient 4.5 and 5: their default User-Agent names the Java version too.
  {
    client: 'Apache HttpClient 4.5',
    headers: [HOST, ['User-Agent', 'Apache-HttpClient/4.5.14 (Java/17.0.15)']],
    error: ALERT_46,
    id: 'untrusted-ca.java',
    label: 'Apache-HttpClient 4.5.14',
  },
  {
    client: 'Apache HttpClient 5',
    headers: [HOST, ['User-Agent', 'Apache-HttpClient/5.3.1 (Java/17.0.15)']],
    error: ALERT_46,
    id: 'untrusted-ca.java',
    label: 'Apache-HttpClient 5.3.1',
  },
  // A JVM named on its CONNECT is Java whatever alert its TLS stack sent (a provider other than the JDK's own).
  {
    client: 'OkHttp with another TLS provider',
    headers: [HOST, ['User-Agent', 'okhttp/4.12.0']],
    error: ALERT_48,
    id: 'untrusted-ca.java',
    label: 'okhttp 4.12.0',
  },
  // Measured: the JDK's HttpClient sends only Host on CONNECT and closes without an alert; so do Node clients (undici).
  { client: 'JDK 17 HttpClient', headers: [HOST], error: CLOSED, id: 'untrusted-ca.either' },
  {
    client: 'undici',
    headers: [
      ['host', 'relay.example.com:443'],
      ['connection', 'close'],
      ['proxy-connection', 'keep-alive'],
    ],
    error: CLOSED,
    id: 'untrusted-ca.either',
  },
  // No name, and the JDK's own alert: likely Java, but other stacks send it too.
  {
    client: 'a nameless client sending certificate_unknown',
    headers: [HOST],
    error: ALERT_46,
    id: 'untrusted-ca.either',
  },
  {
    client: 'a User-Agent wirelog does not know',
    headers: [HOST, ['User-Agent', 'acme-tool/2.1']],
    error: CLOSED,
    id: 'untrusted-ca.either',
  },
  // Measured: curl names itself and sends unknown_ca; Python's urllib sends no header at all, and unknown_ca, which the JDK does not.
  {
    client: 'curl',
    headers: [HOST, ['User-Agent', 'curl/7.88.1'], ['Proxy-Connection', 'Keep-Alive']],
    error: ALERT_48,
    id: 'untrusted-ca',
  },
  { client: 'Python urllib', headers: [], error: ALERT_48, id: 'untrusted-ca' },
  { client: 'Go', headers: [HOST, ['User-Agent', 'Go-http-client/1.1']], error: CLOSED, id: 'untrusted-ca' },
  {
    client: 'a failure recorded before the CONNECT headers were kept',
    headers: [],
    error: 'the client ended the TLS handshake with wirelog (ECONNRESET): it probably does not trust the wirelog CA',
    id: 'untrusted-ca.either',
  },
];

describe('the untrusted-CA fix names the way the client that failed trusts the CA', () => {
  for (const c of CASES) {
    it(`${c.client}: ${c.id}`, () => {
      const found = untrusted(c.headers, c.error);
      expect(found.message?.id).toBe(c.id);
      expect(found.severity).toBe('error');
      expect(found.summary).toContain('does not trust the wirelog CA');
      const java =
        /JAVA_TOOL_OPTIONS/.test(found.fix) &&
        found.fix.includes('wirelog ca --install --java') &&
        found.fix.includes('eval "$(wirelog env)"');
      const general = found.fix.includes('CODEX_CA_CERTIFICATE') && found.fix.includes('NODE_EXTRA_CA_CERTS');
      // The Java fix alone, the general one alone, or both: never a guess either way.
      expect({ java, general }).toEqual({ java: c.id !== 'untrusted-ca', general: c.id !== 'untrusted-ca.java' });
      if (c.label) expect(found.summary).toContain(`A Java client (${c.label})`);
    });
  }

  it('says why it cannot tell: the User-Agent it did not know, or none, and the alert or its absence', () => {
    expect(untrusted([HOST], CLOSED).summary).toMatch(/no User-Agent.*sent no TLS alert/);
    expect(untrusted([HOST, ['User-Agent', 'acme-tool/2.1']], ALERT_46).summary).toMatch(
      /"acme-tool\/2\.1" is not one wirelog knows.*certificate_unknown/,
    );
  });

  it('in Chinese too, with the same commands', () => {
    const java = untrusted([HOST, ['User-Agent', 'okhttp/4.12.0']], CLOSED, 'zh-CN');
    expect(java.summary).toContain('Java 客户端（okhttp 4.12.0）');
    expect(java.fix).toContain('JAVA_TOOL_OPTIONS');
    expect(java.fix).toContain('wirelog ca --install --java');
    const either = untrusted([HOST], CLOSED, 'zh-CN');
    expect(either.summary).toContain('没有带 User-Agent');
    expect(either.fix).toMatch(/^如果是 Java 程序：.*JAVA_TOOL_OPTIONS.*否则：.*CODEX_CA_CERTIFICATE/);
    const general = untrusted([HOST, ['User-Agent', 'curl/7.88.1']], ALERT_48, 'zh-CN');
    expect(general.fix).not.toContain('JAVA_TOOL_OPTIONS');
  });
});
