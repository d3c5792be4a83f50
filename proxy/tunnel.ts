import type net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { Header } from '../model/exchange.ts';

/** A CONNECT tunnel: where its requests go, and when and from whom it was asked for. */
export interface Tunnel {
  host: string;
  port: number;
  tls: boolean;
  clientAddress: string;
  /**
   * The CONNECT request's own headers: kept for the record of a tunnel that carried no request,
   * where its User-Agent (OkHttp, Apache HttpClient, curl send one) is all that names the client.
   */
  headers?: Header[];
  /** Epoch ms and performance.now() of the CONNECT request. */
  startedAt: number;
  startedAtPerf: number;
  /** Requests (and upgrades) that came through it so far. */
  requests: number;
  /**
   * The server the client named in its TLS hello, when it is not the CONNECT's host: a client
   * that resolved the name itself and asked for a tunnel to the address. Its certificate, the
   * upstream's server name and the recorded host are this name; the connection goes to `host`.
   */
  sni?: string;
  /** The address `host` was resolved to when it was checked for being wirelog itself: connected to instead of resolving again. */
  address?: string;
}

export interface TunnelEnds {
  secureContext(host: string): tls.SecureContext;
  /** The tunnel carries HTTP from here on (decrypted when it is TLS). `first` holds bytes already read. */
  deliver(socket: Duplex, tunnel: Tunnel, first: Buffer | null): void;
  /** The tunnel ended before it carried a request; recorded once as an exchange. */
  failed(tunnel: Tunnel, reason: string): void;
}

const TRUST_HINT = 'start it with `wirelog run` or set its CA variable (see `wirelog env`)';

// GnuTLS clients (wget) finish the handshake and check the certificate after it: one that
// distrusts ours closes at once, without a request. A connection left unused closes later.
const CLOSED_AT_ONCE_MS = 1000;

/**
 * Answers a CONNECT and owns the tunnel's socket until HTTP starts inside it: the first bytes
 * and the TLS handshake must arrive within `handshakeMs` of the CONNECT, and a client that
 * closes or fails before then has its socket closed at once (the listening server keeps
 * half-open sockets).
 */
export function openTunnel(
  socket: net.Socket,
  head: Buffer,
  tunnel: Omit<Tunnel, 'tls' | 'requests'>,
  handshakeMs: number,
  ends: TunnelEnds,
): void {
  let settled = false;
  const settle = (reason: string | null, t: Tunnel) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (reason !== null) {
      ends.failed(t, reason);
      socket.destroy();
    }
  };
  const seconds = `${handshakeMs / 1000} s (--handshake-timeout)`;
  // One deadline from the CONNECT; what it means depends on how far the client got.
  let onDeadline = () =>
    settle(`the client sent nothing through its tunnel within ${seconds}; wirelog closed it`, {
      ...tunnel,
      tls: false,
      requests: 0,
    });
  const timer = setTimeout(() => onDeadline(), handshakeMs);
  socket.on('error', () => socket.destroy());
  const closedEmpty = () => {
    // A client that only probed, or gave up before saying anything: no exchange happened.
    settled = true;
    clearTimeout(timer);
    socket.destroy();
  };
  socket.once('end', closedEmpty);
  socket.once('close', closedEmpty);

  const start = (first: Buffer) => {
    socket.pause();
    socket.off('end', closedEmpty);
    socket.off('close', closedEmpty);
    // TLS records start with 0x16 (SSLv2-style hellos with 0x80 or 0x00); anything else is plain HTTP.
    const isTls = first[0] === 0x16 || first[0] === 0x80 || first[0] === 0x00;
    const t: Tunnel = { ...tunnel, tls: isTls, requests: 0 };
    if (!isTls) {
      // From here the HTTP server's own watches apply.
      settle(null, t);
      return ends.deliver(socket, t, first);
    }
    onDeadline = () => {
      settle(
        `the client did not finish its TLS handshake with wirelog within ${seconds}; wirelog closed the tunnel`,
        t,
      );
      secure.destroy();
    };
    // The TLS socket reads what is already buffered on the socket it wraps.
    socket.unshift(first);
    let context: tls.SecureContext;
    try {
      context = ends.secureContext(tunnel.host);
    } catch (err) {
      return settle(`wirelog could not make a certificate for ${tunnel.host}: ${(err as Error).message}`, t);
    }
    // HTTP/1.0 too: a client that offers only it (curl -0) is refused with a TLS alert otherwise.
    const secure = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext: context,
      ALPNProtocols: ['http/1.1', 'http/1.0'],
      // The certificate is for the name the client asked for, which a CONNECT to an address does not carry.
      SNICallback: (servername, done) => {
        const name = servername.toLowerCase().replace(/\.$/, '');
        if (!name || name === tunnel.host.toLowerCase()) return done(null, context);
        try {
          const named = ends.secureContext(name);
          t.sni = name;
          done(null, named);
        } catch (err) {
          done(err as Error);
        }
      },
    });
    secure.on('error', (err: NodeJS.ErrnoException) => {
      settle(
        `the client ended the TLS handshake with wirelog (${err.code ?? err.message}): it probably does not trust the wirelog CA; ${TRUST_HINT}`,
        t,
      );
      secure.destroy();
    });
    const closed = () => {
      settle(
        `the client closed the connection during the TLS handshake with wirelog: it probably does not trust the wirelog CA; ${TRUST_HINT}`,
        t,
      );
      secure.destroy();
    };
    secure.once('end', closed);
    secure.once('close', closed);
    secure.once('secure', () => {
      secure.off('end', closed);
      secure.off('close', closed);
      settle(null, t);
      const securedAt = Date.now();
      secure.once('close', () => {
        if (t.requests === 0 && Date.now() - securedAt < CLOSED_AT_ONCE_MS) {
          ends.failed(
            t,
            `the client closed the connection right after the TLS handshake with wirelog, before any request: it probably does not trust the wirelog CA (GnuTLS clients such as wget check it after the handshake); ${TRUST_HINT}`,
          );
        }
      });
      ends.deliver(secure, t, null);
    });
  };
  if (head.length > 0) start(head);
  else socket.once('data', start);
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
}
