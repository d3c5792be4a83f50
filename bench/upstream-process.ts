// The benchmark's upstream, in a process of its own (as a provider is): the fake upstream and
// ten HTTPS servers on 127.0.0.2.. (hosts no proxy has seen). Prints one JSON line, then
// serves until its standard input closes.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { startFakeUpstream } from '../test/support/fake-upstream.ts';
import { selfSignedCertificate } from '../test/support/upstream-cert.ts';

const upstream = await startFakeUpstream();
const hosts = Array.from({ length: 10 }, (_, i) => `127.0.0.${i + 2}`);
const cert = selfSignedCertificate(hosts);
const servers = await Promise.all(
  hosts.map(
    (host) =>
      new Promise<{ host: string; port: number; server: https.Server }>((resolve) => {
        const server = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (_req, res) =>
          res.end('{"ok":true}'),
        );
        server.listen(0, host, () => resolve({ host, port: (server.address() as AddressInfo).port, server }));
      }),
  ),
);
process.stdout.write(
  `${JSON.stringify({ httpsUrl: upstream.httpsUrl, caPem: upstream.cert.certPem + cert.certPem, newHosts: servers.map(({ host, port }) => ({ host, port })) })}\n`,
);
process.stdin.resume();
process.stdin.on('end', async () => {
  for (const s of servers) s.server.close();
  await upstream.close();
  process.exit(0);
});
