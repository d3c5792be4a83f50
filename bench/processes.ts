// Starting and measuring the benchmark's processes: each prints one JSON line when ready.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchProcess<T> {
  child: ChildProcess;
  ready: T;
  peakRssMb(): number;
  stop(): Promise<void>;
}

export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** A TypeScript module of bench/ as its own Node process, once it has printed its JSON line. */
export function startTsProcess<T>(module: string, args: string[] = [], timeoutMs = 30_000): Promise<BenchProcess<T>> {
  const file = fileURLToPath(new URL(module, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    cwd: path.dirname(path.dirname(file)),
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${module} did not start within ${timeoutMs} ms`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const ready = JSON.parse(out.slice(0, nl)) as T;
      resolve({
        child,
        ready,
        peakRssMb: () => peakRssMb(child.pid!),
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.stdin!.end();
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`${module} exited with ${code} before it was ready`)));
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Debian's mitmdump with stream_large_bodies (it keeps no streamed body); null where it is not installed. */
export async function startMitmproxy(
  confdir: string,
): Promise<BenchProcess<{ proxyUrl: string; caPem: string }> | null> {
  if (!fs.existsSync('/usr/bin/mitmdump')) return null;
  const port = await freePort();
  const child = spawn(
    '/usr/bin/mitmdump',
    [
      '-q',
      '--listen-host',
      '127.0.0.1',
      '--listen-port',
      String(port),
      '--set',
      `confdir=${confdir}`,
      '--set',
      'stream_large_bodies=1',
      '--ssl-insecure',
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 30_000;
  const caFile = path.join(confdir, 'mitmproxy-ca-cert.pem');
  while (!(fs.existsSync(caFile) && (await listening(port)))) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('mitmdump did not start within 30 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    ready: { proxyUrl: `http://127.0.0.1:${port}`, caPem: fs.readFileSync(caFile, 'utf8') },
    peakRssMb: () => peakRssMb(child.pid!),
    stop: () =>
      new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
