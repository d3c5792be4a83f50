import type { Language } from '../i18n/languages.ts';
import type { CaptureSettings } from './recorder.ts';
import type { UpstreamAgents } from './upstream.ts';

// The shapes forward.ts, gateway.ts and upstream-request.ts share. They live here, below all
// three, so none of them imports another only for its types (that made an import circle).

/** Where a request goes, as decided from the absolute URL or the CONNECT tunnel it came through. */
export interface Target {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** Where to connect when it is not `host`: the CONNECT's address, for a client that named `host` in its TLS hello. */
  connectHost?: string;
  clientAddress: string;
  /** A gateway request's own URL form: the client's base, to rewrite redirects into. */
  gateway?: { base: string; prefix: string };
}

export interface ForwardSettings extends CaptureSettings {
  agents: UpstreamAgents;
  timeouts: UpstreamTimeouts;
  /** The language of wirelog's own answers to clients (502/504); the exchange stores English. */
  language?: Language;
}

export interface UpstreamTimeouts {
  /** Connecting to the upstream, TLS handshake included. */
  connectMs: number;
  /** Silence from the upstream: no response head, or no body bytes, for this long. */
  idleMs: number;
}
