import { useMemo, useState } from 'react';
import type { BodyView } from '../api.ts';
import { formatSize, tryJson } from '../format.ts';
import { JsonTree } from './JsonTree.tsx';

const HEX_LIMIT = 64 * 1024;
const TEXT_LIMIT = 2 * 1024 * 1024;

function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

function base64Bytes(base64: string, limit: number): Uint8Array {
  const binary = atob(base64.slice(0, Math.ceil((limit * 4) / 3 / 4) * 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** A body as text, a JSON tree, an image or a hex dump, with how it was encoded and whether it was cut. */
export function BodyPanel({ body, label }: { body: BodyView; label: string }) {
  const [raw, setRaw] = useState(false);
  const [asBase64, setAsBase64] = useState(false);
  const json = useMemo(() => (body.text !== null && body.text.length <= TEXT_LIMIT ? tryJson(body.text) : undefined), [body.text]);
  const notes: string[] = [formatSize(body.size)];
  if (body.mimeType) notes.push(body.mimeType);
  if (body.encoding) notes.push(body.decodeError ? `${body.encoding} (not decoded)` : `decoded from ${body.encoding}, ${formatSize(body.decodedSize)}`);
  const isImage = body.base64 !== null && /^image\/(png|jpe?g|gif|webp|avif|bmp|x-icon)/i.test(body.mimeType);

  return (
    <section className="body-panel" aria-label={label}>
      <div className="body-head">
        <strong>{label}</strong> <span className="muted">{notes.join(' · ')}</span>
        {json !== undefined && (
          <button type="button" className="button small" onClick={() => setRaw(!raw)}>
            {raw ? 'Tree' : 'Raw'}
          </button>
        )}
        {body.base64 !== null && body.size > 0 && (
          <button type="button" className="button small" onClick={() => setAsBase64(!asBase64)}>
            {asBase64 ? 'Hex' : 'Base64'}
          </button>
        )}
      </div>
      {body.truncated && (
        <div className="banner warn">
          Truncated: {formatSize(body.storedSize)} of {formatSize(body.size)} stored (raise --max-body-mb to keep more). The client got all of it.
        </div>
      )}
      {body.decodeError && <div className="banner warn">{body.decodeError}</div>}
      {body.size === 0 && <p className="muted">Empty.</p>}
      {body.size > 0 && json !== undefined && !raw && <JsonTree value={json} />}
      {body.size > 0 && body.text !== null && (json === undefined || raw) && (
        <pre className="body-text">{body.text.length > TEXT_LIMIT ? `${body.text.slice(0, TEXT_LIMIT)}\n… (${formatSize(body.text.length - TEXT_LIMIT)} more)` : body.text}</pre>
      )}
      {isImage && !asBase64 && <img className="body-image" alt="response body" src={`data:${body.mimeType.split(';')[0]};base64,${body.base64}`} />}
      {asBase64 && body.base64 !== null && <pre className="body-text">{body.base64}</pre>}
      {body.base64 !== null && !isImage && !asBase64 && body.size > 0 && (
        <pre className="body-hex">
          {hexDump(base64Bytes(body.base64, HEX_LIMIT))}
          {body.decodedSize > HEX_LIMIT ? `\n… ${formatSize(body.decodedSize - HEX_LIMIT)} more` : ''}
        </pre>
      )}
    </section>
  );
}
