// A tiny HTTP proxy of the tests' own on 127.0.0.1 that takes only CONNECT (as Clash's HTTP port
// does for HTTPS, RFC 9110 9.3.6): it counts the CONNECTs it got and their targets, and can
// require Basic credentials (407 otherwise), refuse every CONNECT with a status, or say nothing.
import net from 'node:net';

export interface ConnectProxy {
  port: number;
  url: string;
  /** Each CONNECT's target (host:port) and its Proxy-Authorization, in order. */
  connects: { target: string; authorization: string | undefined }[];
  /** Connections from clients open now (sockets to targets not counted). */
  open(): number;
  close(): Promise<void>;
}

export interface ConnectProxyOptions {
  /** "user:pass" required as Basic Proxy-Authorization; 407 without it. */
  credentials?: string;
  /** Answer every CONNECT with this status (502: the proxy cannot reach the target). */
  refuse?: number;
  /** Accept connections and never answer. */
  silent?: boolean;
  /** Names only this proxy resolves (to an address): reachable through it, and not directly. */
  hosts?: Record<string, string>;
}

export async function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const sockets = new Set<net.Socket>();
  const connects: ConnectProxy['connects'] = [];
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const clients = new Set<net.Socket>();
  const server = net.createServer((client) => {
    track(client);
    clients.add(client);
    client.on('close', () => clients.delete(client));
    // Read (and drop) what comes, so the other side's close is seen.
    if (options.silent) return void client.resume();
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const [method, target] = lines[0].split(' ');
      const authorization = lines
        .slice(1)
        .find((l) => /^proxy-authorization:/i.test(l))
        ?.replace(/^[^:]+:\s*/, '');
      connects.push({ target, authorization });
      const answer = (status: string, extra = '') =>
        client.end(`HTTP/1.1 ${status}\r\n${extra}Content-Length: 0\r\nConnection: close\r\n\r\n`);
      if (method !== 'CONNECT') return answer('405 Method Not Allowed');
      if (options.credentials && authorization !== `Basic ${Buffer.from(options.credentials).toString('base64')}`)
        return answer('407 Proxy Authentication Required', 'Proxy-Authenticate: Basic realm="test"\r\n');
      if (options.refuse) return answer(`${options.refuse} Refused`);
      const colon = target.lastIndexOf(':');
      const host = target.slice(0, colon).replace(/^\[|\]$/g, '');
      const upstream = net.connect(Number(target.slice(colon + 1)), options.hosts?.[host] ?? host);
      track(upstream);
      upstream.once('connect', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        const rest = head.subarray(end + 4);
        if (rest.length) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      upstream.once('close', () => client.destroy());
      client.once('close', () => upstream.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connects,
    open: () => clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
