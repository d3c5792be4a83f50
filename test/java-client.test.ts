// A Java client (java.net.http.HttpClient, as OkHttp and any JVM tool) ignores HTTPS_PROXY and
// the CA variables: under `eval "$(wirelog env)"` it went straight to the relay and nothing was
// stored (issue 29). Now JAVA_TOOL_OPTIONS carries the proxy properties and a PKCS12 trust store
// of the system roots plus the wirelog CA: the real JDK runs a real HttpClient program to a
// local HTTPS upstream (whose own CA only wirelog trusts), and the call is captured. The user's
// own JAVA_TOOL_OPTIONS are kept. Skipped where no JDK is installed.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';
import { eventually, startHarness, tempDir, type Harness } from './support/harness.ts';

const hasJava =
  spawnSync('java', ['-version'], { stdio: 'ignore', timeout: 60_000 }).status === 0 &&
  spawnSync('keytool', ['-help'], { stdio: 'ignore', timeout: 60_000 }).status === 0;

const PROGRAM = `
import java.net.URI;
import java.net.http.*;
public class Probe {
  public static void main(String[] args) throws Exception {
    // What a JVM tool does: the default client, which reads the proxy and trust store properties.
    HttpClient client = HttpClient.newBuilder().proxy(java.net.ProxySelector.getDefault()).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create(args[0])).header("authorization", "Bearer sk-java-client-0000111122223333").GET().build();
    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
    System.out.println("status " + response.statusCode());
    System.out.println("kept " + System.getProperty("wirelog.test.own"));
  }
}
`;

describe.skipIf(!hasJava)('a Java HttpClient under eval "$(wirelog env)"', () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    h = await startHarness();
    dir = tempDir('wirelog-java-');
    fs.writeFileSync(path.join(dir, 'Probe.java'), PROGRAM);
  });

  afterAll(async () => {
    await h?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const runJava = (script: string, env: NodeJS.ProcessEnv) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile('sh', ['-c', script], { env, cwd: dir, timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
      );
    });

  it("goes through wirelog, trusts its CA through the PKCS12 store, keeps the user's own options, and is stored", async () => {
    // The user's own JAVA_TOOL_OPTIONS, in the shell where they run wirelog env.
    const own = { JAVA_TOOL_OPTIONS: '-Dwirelog.test.own=yes' };
    const printed = await runCli(
      ['env', '--shell', 'bash', '--data-dir', h.dataDir, '--proxy-port', String(h.wirelog.proxy.port)],
      { env: own },
    );
    expect(printed.code, printed.stderr).toBe(0);
    fs.writeFileSync(path.join(dir, 'env.sh'), printed.stdout);
    const options = /^export JAVA_TOOL_OPTIONS='(.*)'$/m.exec(printed.stdout)?.[1] ?? '';
    // The user's own option first, then wirelog's; loopback not excluded from the proxy.
    expect(options).toMatch(/^-Dwirelog\.test\.own=yes -Dhttps\.proxyHost=127\.0\.0\.1 /);
    expect(options).toContain('-Dhttp.nonProxyHosts= ');
    const store = path.join(h.dataDir, 'ca', 'java-truststore.p12');
    expect(options).toContain(
      `-Djavax.net.ssl.trustStore=${store} -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=`,
    );
    expect(fs.statSync(store).mode & 0o777).toBe(0o600);
    // keytool reads the store with its password: the wirelog CA a trusted certificate entry, beside the system roots.
    const password = /trustStorePassword=(\S+)/.exec(options)![1];
    // A JVM's start at load takes seconds: a bound, so that a stuck keytool fails here and says so.
    const listed = spawnSync('keytool', ['-list', '-keystore', store, '-storetype', 'PKCS12', '-storepass', password], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    // keytool is a JVM: when it fails (a clean-clone CI at load once printed nothing), say how.
    expect(listed.stdout, `keytool exited ${listed.status} (${listed.error ?? ''}): ${listed.stderr}`).toMatch(
      /^wirelog-ca, .*trustedCertEntry/m,
    );
    expect(Number(/contains (\d+) entries/.exec(listed.stdout)?.[1])).toBeGreaterThan(1);

    const url = `${h.upstream.httpsUrl}/v1/models?from=java`;
    const run = await runJava(`eval "$(cat env.sh)" && java Probe.java '${url}'`, {
      PATH: process.env.PATH,
      HOME: dir,
      ...own,
    });
    expect(run.out, run.out).toContain('status 200');
    expect(run.out).toContain('kept yes');
    expect(run.code).toBe(0);
    const stored = await eventually(async () => {
      await h.stored();
      return h.wirelog.reader.list({ limit: 100 }).find((e) => e.request.path === '/v1/models?from=java');
    }, 'the Java call to be stored');
    expect(stored.request).toMatchObject({ scheme: 'https', host: 'localhost', port: h.upstream.httpsPort });
    expect(stored.response?.status).toBe(200);
    expect(JSON.stringify(stored.request.headers).toLowerCase()).toContain('java-http-client');
  }, 180_000);
});
