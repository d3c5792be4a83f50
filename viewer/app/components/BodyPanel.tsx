import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
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
  const { t } = useTranslation();
  const [raw, setRaw] = useState(false);
  const [asBase64, setAsBase64] = useState(false);
  const json = useMemo(() => (body.text !== null && body.text.length <= TEXT_LIMIT ? tryJson(body.text) : undefined), [body.text]);
  const encoding = body.encoding && (body.decodeError ? t('body.notDecoded', { encoding: body.encoding }) : t('body.decodedFrom', { encoding: body.encoding, size: formatSize(body.decodedSize) }));
  const isImage = body.base64 !== null && /^image\/(png|jpe?g|gif|webp|avif|bmp|x-icon)/i.test(body.mimeType);

  return (
    <section className="body-panel" aria-label={label}>
      <div className="body-head">
        <strong>{label}</strong>{' '}
        <span className="muted">
          {formatSize(body.size)}
          {body.mimeType && (
            <>
              {' · '}
              <span data-captured>{body.mimeType}</span>
            </>
          )}
          {encoding && ` · ${encoding}`}
        </span>
        {json !== undefined && (
          <button type="button" className="button small" onClick={() => setRaw(!raw)}>
            {raw ? t('body.tree') : t('body.raw')}
          </button>
        )}
        {body.base64 !== null && body.size > 0 && (
          <button type="button" className="button small" onClick={() => setAsBase64(!asBase64)}>
            {asBase64 ? t('body.hex') : t('body.base64')}
          </button>
        )}
      </div>
      {body.truncated && (
        <div className="banner warn">
          {t('body.truncated', { stored: formatSize(body.storedSize), size: formatSize(body.size) })}
        </div>
      )}
      {/* db/decode.ts writes it, with the decoder's own reason (zlib's, fzstd's): shown as it came. */}
      {body.decodeError && (
        <div className="banner warn" data-captured>
          {body.decodeError}
        </div>
      )}
      {body.size === 0 && <p className="muted">{t('body.empty')}</p>}
      {body.size > 0 && json !== undefined && !raw && <JsonTree value={json} />}
      {body.size > 0 && body.text !== null && (json === undefined || raw) && (
        <pre className="body-text">
          <span data-captured>{body.text.length > TEXT_LIMIT ? body.text.slice(0, TEXT_LIMIT) : body.text}</span>
          {body.text.length > TEXT_LIMIT && `\n${t('body.moreText', { size: formatSize(body.text.length - TEXT_LIMIT) })}`}
        </pre>
      )}
      {isImage && !asBase64 && <img className="body-image" alt={t('body.image')} src={`data:${body.mimeType.split(';')[0]};base64,${body.base64}`} />}
      {asBase64 && body.base64 !== null && (
        <pre className="body-text" data-captured>
          {body.base64}
        </pre>
      )}
      {body.base64 !== null && !isImage && !asBase64 && body.size > 0 && (
        <pre className="body-hex">
          <span data-captured>{hexDump(base64Bytes(body.base64, HEX_LIMIT))}</span>
          {body.decodedSize > HEX_LIMIT ? `\n${t('body.moreBytes', { size: formatSize(body.decodedSize - HEX_LIMIT) })}` : ''}
        </pre>
      )}
    </section>
  );
}
