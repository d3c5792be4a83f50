// Issue 29: a Java client that does not trust the wirelog CA is told the Java way to trust it
// (JAVA_TOOL_OPTIONS through `wirelog run` / eval "$(wirelog env)", or `wirelog ca --install
// --java`), not only the CA variables other clients read. Real clients through a real wirelog:
// the JDK 17's HttpURLConnection (names itself on CONNECT: the Java fix), its HttpClient (no
// User-Agent on CONNECT and no TLS alert: the fix lists both ways, Java's among them), curl
// (names itself: the general fix only); and a CONNECT head as OkHttp and Apache HttpClient
// send it (a Node TLS client that refuses the certificate stands in for their handshake): the
// failed tunnel's record keeps those headers, a proxy credential masked. The JDK cases are
// skipped, visibly, where no `java` is installed.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exchange } from '../model/exchange.ts';
import { runCli } from './support/cli.ts';
import { curl, eventually, startHarness, tempDir, within, type Harness } from './support/harness.ts';

const hasJava = spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;

// The JDK's two HTTP clients, as a JVM tool uses them: proxy properties set, trust store not.
const PROGRAM = `
import java.net.URI;
import java.net.http.*;
public class Distrust {
  public static void main(String[] args) throws Exception {
    try {
      if (args[1].equals("urlconnection")) {
        var connection = (java.net.HttpURLConnection) new java.net.URL(args[0]).openConnection();
        System.out.println("status " + connection.getResponseCode());
      } else {
        HttpClient client = HttpClient.newBuilder().proxy(java.net.ProxySelector.getDefault()).build();
        System.out.println("status " + client.send(HttpRequest.newBuilder(URI.create(args[0])).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      }
    } catch (javax.net.ssl.SSLHandshakeException e) {
      System.out.println("refused " + e.getMessage());
    }
  }
}
`;

describe('a client that does not trust the wirelog CA is told the way that client trusts it', () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    h = await startHarness();
    dir = tempDir('wirelog-java-distrust-');
    fs.writeFileSync(path.join(dir, 'Distrust.java'), PROGRAM);
  });

  afterAll(async () => {
    await h?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The stored failed tunnel whose CONNECT asked for this port. */
  async function failedTunnel(port: number): Promise<Exchange> {
    return eventually(async () => {
      await h.stored();
      return h.wirelog.reader
        .list({ limit: 100 })
        .find((e) => e.request.method === 'CONNECT' && e.request.port === port && e.state === 'proxy_error');
    }, `the failed tunnel to port ${port}`);
  }

  /** A port of its own per client, so each one's tunnel is told apart: a listener that is never reached. */
  async function spare(): Promise<{ port: number; close: () => void }> {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
  }

  /** What `wirelog doctor` says of one stored exchange (read beside the running capture). */
  async function doctor(id: number): Promise<string> {
    const r = await runCli(['doctor', String(id), '--data-dir', h.dataDir]);
    return r.stdout;
  }

  const runJava = (client: string, url: string) =>
    new Promise<string>((resolve) => {
      const args = [
        '-Dhttps.proxyHost=127.0.0.1',
        `-Dhttps.proxyPort=${h.wirelog.proxy.port}`,
        '-Dhttp.nonProxyHosts=',
        'Distrust.java',
        url,
        client,
      ];
      // No JAVA_TOOL_OPTIONS: the JDK's own trust store, which does not hold the wirelog CA.
      execFile(
        'java',
        args,
        { cwd: dir, timeout: 120_000, env: { PATH: process.env.PATH, HOME: dir } },
        (err, stdout, stderr) => resolve(`${stdout}${stderr}${err ? ` (${err.message})` : ''}`),
      );
    });

  it.skipIf(!hasJava)(
    'JDK 17 HttpURLConnection (User-Agent Java/17 on CONNECT, alert certificate_unknown): the Java fix alone',
    async () => {
      const target = await spare();
      try {
        const out = await runJava('urlconnection', `https://localhost:${target.port}/v1/models`);
        expect(out).toContain('refused PKIX path building failed');
        const ex = await failedTunnel(target.port);
        expect(ex.request.headers).toContainEqual(['User-Agent', expect.stringMatching(/^Java\/\d/)]);
        expect(ex.error).toContain('ALERT_CERTIFICATE_UNKNOWN');
        expect(ex.diagnosis?.message?.id).toBe('untrusted-ca.java');
        const said = await doctor(ex.id);
        expect(said).toMatch(/A Java client \(Java [\d.]+\)/);
        expect(said).toContain('JAVA_TOOL_OPTIONS');
        expect(said).toContain('eval "$(wirelog env)"');
        expect(said).toContain('wirelog ca --install --java');
        expect(said).not.toContain('CODEX_CA_CERTIFICATE');
      } finally {
        target.close();
      }
    },
    180_000,
  );

  it.skipIf(!hasJava)(
    "JDK 17 HttpClient (no User-Agent on CONNECT, no alert): both fixes, Java's first",
    async () => {
      const target = await spare();
      try {
        const out = await runJava('httpclient', `https://localhost:${target.port}/v1/models`);
        expect(out).toContain('refused PKIX path building failed');
        const ex = await failedTunnel(target.port);
        expect(ex.request.headers.map(([name]) => name.toLowerCase())).toEqual(['host']);
        expect(ex.diagnosis?.message?.id).toBe('untrusted-ca.either');
        const said = await doctor(ex.id);
        expect(said).toContain('does not tell which client it was');
        expect(said).toMatch(
          /If it is a Java program: .*JAVA_TOOL_OPTIONS.*wirelog ca --install --java.* Otherwise: .*CODEX_CA_CERTIFICATE/,
        );
      } finally {
        target.close();
      }
    },
    180_000,
  );

  it('curl (User-Agent curl on CONNECT, alert unknown_ca): the general fix alone', async () => {
    const target = await spare();
    try {
      const r = await curl(h, [`https://localhost:${target.port}/v1/models`], { trustCa: false });
      expect(r.code).toBe(60);
      const ex = await failedTunnel(target.port);
      expect(ex.request.headers).toContainEqual(['User-Agent', expect.stringMatching(/^curl\//)]);
      expect(ex.error).toContain('ALERT_UNKNOWN_CA');
      expect(ex.diagnosis?.message?.id).toBe('untrusted-ca');
      const said = await doctor(ex.id);
      expect(said).toContain('CODEX_CA_CERTIFICATE');
      expect(said).not.toContain('JAVA_TOOL_OPTIONS');
    } finally {
      target.close();
    }
  });

  /** A CONNECT with these header lines, then a TLS client that refuses wirelog's certificate (it trusts no CA given). */
  async function connectAndDistrust(port: number, headerLines: string[]): Promise<void> {
    const socket = net.connect(h.wirelog.proxy.port, '127.0.0.1');
    try {
      await within(
        new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject)),
        'the proxy connection',
      );
      socket.write(`CONNECT localhost:${port} HTTP/1.1\r\n${headerLines.map((l) => `${l}\r\n`).join('')}\r\n`);
      const answer = await within(
        new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString('latin1')))),
        'the CONNECT answer',
      );
      expect(answer).toMatch(/^HTTP\/1\.1 200/);
      const secure = tls.connect({ socket, servername: 'localhost', ca: [] });
      const refused = await within(
        new Promise<string>((resolve) =>
          secure
            .once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
            .once('secureConnect', () => resolve('trusted')),
        ),
        'the TLS refusal',
      );
      expect(refused).not.toBe('trusted');
      secure.destroy();
    } finally {
      socket.destroy();
    }
  }

  for (const client of [
    {
      name: 'OkHttp 4',
      lines: ['Host: localhost', 'Proxy-Connection: Keep-Alive', 'User-Agent: okhttp/4.12.0'],
      label: 'okhttp 4.12.0',
    },
    {
      name: 'Apache HttpClient 5',
      lines: ['Host: localhost', 'User-Agent: Apache-HttpClient/5.3.1 (Java/17.0.15)'],
      label: 'Apache-HttpClient 5.3.1',
    },
  ]) {
    it(`${client.name}'s CONNECT head, its credential masked: the record keeps it and the Java fix is said`, async () => {
      const target = await spare();
      try {
        const credential = Buffer.from('alice:s3cret-proxy-password').toString('base64');
        await connectAndDistrust(target.port, [...client.lines, `Proxy-Authorization: Basic ${credential}`]);
        const ex = await failedTunnel(target.port);
        const ua = client.lines.find((l) => l.startsWith('User-Agent: '))!.slice('User-Agent: '.length);
        expect(ex.request.headers).toContainEqual(['User-Agent', ua]);
        const auth = ex.request.headers.find(([name]) => name === 'Proxy-Authorization');
        expect(auth, 'the credential header is kept, masked').toBeDefined();
        expect(auth![1]).not.toContain(credential);
        expect(ex.diagnosis?.message?.id).toBe('untrusted-ca.java');
        expect(ex.diagnosis?.summary).toContain(`A Java client (${client.label})`);
      } finally {
        target.close();
      }
    });
  }
});
