import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BodyView } from '../api-client.ts';
import { prettyRows, rawRows, type Rows } from '../body-rows.ts';
import { formatSize, tryJson } from '../format.ts';
import { download } from './Base64Run.tsx';
import { CopyButton } from './CopyButton.tsx';
import { JsonTree } from './JsonTree.tsx';
import { RawLines } from './RawLines.tsx';

const HEX_LIMIT = 64 * 1024;
/** JSON up to this size opens as a tree at once (JSON.parse of 8 MB: about 0.1 s); larger ones re-indented first, the tree on request. */
const TREE_AUTO = 8 * 1024 * 1024;
/** Past this a body is offered as a download, and only its head is shown. */
const SHOWN_WHOLE = 32 * 1024 * 1024;
const HEAD_SHOWN = 1024 * 1024;
/** Opened at first down to this depth, as far as JsonTree's line budget goes: a Gemini image sits 6 deep. */
const TREE_DEPTH = 8;

type Mode = 'tree' | 'pretty' | 'raw';

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

/** Pretty-printed JSON rows, built in slices after the first screen shows; redone for another text. */
function usePrettyRows(text: string | null, wanted: boolean): { rows: Rows | null; version: number } {
  const [state, setState] = useState<{ rows: Rows | null; version: number }>({ rows: null, version: 0 });
  useEffect(() => {
    if (!wanted || text === null) return;
    let next = 1;
    // Each update re-lays the list out (its length changed): after the first slice, then each time the rows doubled, and at the end.
    const job = prettyRows(text, (rows) => {
      if (rows.done || rows.count >= next) {
        next = rows.count * 2;
        setState({ rows, version: rows.count });
      }
    });
    return job.cancel;
  }, [text, wanted]);
  return state;
}

/** Why a body is cut: the storage note on the exchange when storage left its rest out, else the size limit. */
function cutReason(notes: string[] | undefined): string | null {
  return notes?.find((note) => note.startsWith('storage left out ') && note.includes('body byte')) ?? null;
}

/**
 * A body as a JSON tree, re-indented JSON, text rows, an image or a hex dump, with how it was
 * encoded and whether it was cut (and why). Whatever its size, only what is on screen is in the DOM.
 */
export function BodyPanel({ body, label, notes }: { body: BodyView; label: string; notes?: string[] }) {
  const { t } = useTranslation();
  const text = body.text !== null && body.text.length > SHOWN_WHOLE ? body.text.slice(0, HEAD_SHOWN) : body.text;
  const tooLarge = body.text !== null && body.text.length > SHOWN_WHOLE;
  const looksJson =
    text !== null && !tooLarge && (/\bjson\b/i.test(body.mimeType) || /^\s*[[{]/.test(text.slice(0, 64)));
  const [mode, setMode] = useState<Mode>(() =>
    looksJson && text!.length <= TREE_AUTO ? 'tree' : looksJson ? 'pretty' : 'raw',
  );
  const [asBase64, setAsBase64] = useState(false);
  const json = useMemo(() => (mode === 'tree' && text !== null ? tryJson(text) : undefined), [text, mode]);
  // Not JSON after all (or not whole): shown as it came.
  const shownMode: Mode = mode === 'tree' && json === undefined ? 'raw' : mode;
  const pretty = usePrettyRows(text, shownMode === 'pretty');
  const raw = useMemo(() => (shownMode === 'raw' && text !== null ? rawRows(text) : null), [text, shownMode]);
  const base64Rows = useMemo(
    () => (asBase64 && body.base64 !== null ? rawRows(body.base64) : null),
    [asBase64, body.base64],
  );
  const encoding =
    body.encoding &&
    (body.decodeError
      ? t('body.notDecoded', { encoding: body.encoding })
      : t('body.decodedFrom', { encoding: body.encoding, size: formatSize(body.decodedSize) }));
  const isImage = body.base64 !== null && /^image\/(png|jpe?g|gif|webp|avif|bmp|x-icon)/i.test(body.mimeType);
  const storageCut = body.truncated ? cutReason(notes) : null;
  const save = () => {
    if (body.text !== null) download(body.text, looksJson ? 'body.json' : 'body.txt', body.mimeType || 'text/plain');
    else if (body.base64 !== null)
      download(
        Uint8Array.from(atob(body.base64), (c) => c.charCodeAt(0)),
        'body.bin',
        body.mimeType || 'application/octet-stream',
      );
  };

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
        {looksJson &&
          (['tree', 'pretty', 'raw'] as const).map((each) => (
            <button
              key={each}
              type="button"
              className={`button small${shownMode === each ? ' active' : ''}`}
              aria-pressed={shownMode === each}
              onClick={() => setMode(each)}
            >
              {each === 'tree' ? t('body.tree') : each === 'pretty' ? t('bigBody.pretty') : t('body.raw')}
            </button>
          ))}
        {body.base64 !== null && body.size > 0 && (
          <button type="button" className="button small" onClick={() => setAsBase64(!asBase64)}>
            {asBase64 ? t('body.hex') : t('body.base64')}
          </button>
        )}
        {/* What the Raw view shows (the head only, past SHOWN_WHOLE), or the Base64 shown instead. */}
        {body.size > 0 && (asBase64 ? body.base64 !== null : text !== null) && (
          <CopyButton
            text={asBase64 ? body.base64! : text!}
            label={asBase64 ? t('viewerTools.copyBase64') : t('viewerTools.copyBody')}
            title={asBase64 ? undefined : t('viewerTools.copyBodyTitle')}
            testId="copy-body"
          />
        )}
        {body.size > 0 && (
          <button type="button" className="button small" onClick={save} data-testid="body-download">
            {t('bigBody.download')}
          </button>
        )}
      </div>
      {body.truncated &&
        (storageCut ? (
          <div className="banner warn" data-testid="body-cut">
            {t('bigBody.cutByStorage', { stored: formatSize(body.storedSize), size: formatSize(body.size) })}{' '}
            <span data-captured>{storageCut}</span>
          </div>
        ) : (
          <div className="banner warn" data-testid="body-cut">
            {t('body.truncated', { stored: formatSize(body.storedSize), size: formatSize(body.size) })}
          </div>
        ))}
      {/* db/decode.ts writes it, with the decoder's own reason (zlib's, libzstd's): shown as it came. */}
      {body.decodeError && (
        <div className="banner warn" data-captured>
          {body.decodeError}
        </div>
      )}
      {tooLarge && (
        <div className="banner" data-testid="body-too-large">
          {t('bigBody.tooLarge', { size: formatSize(body.text!.length), shown: formatSize(HEAD_SHOWN) })}
        </div>
      )}
      {body.size === 0 && <p className="muted">{t('body.empty')}</p>}
      {body.size > 0 && shownMode === 'tree' && json !== undefined && <JsonTree value={json} openDepth={TREE_DEPTH} />}
      {body.size > 0 && shownMode === 'pretty' && pretty.rows && (
        <RawLines rows={pretty.rows} version={pretty.version} />
      )}
      {body.size > 0 && raw && <RawLines rows={raw} version={0} />}
      {isImage && !asBase64 && (
        <img
          className="body-image"
          alt={t('body.image')}
          src={`data:${body.mimeType.split(';')[0]};base64,${body.base64}`}
        />
      )}
      {base64Rows && <RawLines rows={base64Rows} version={0} />}
      {body.base64 !== null && !isImage && !asBase64 && body.size > 0 && (
        <pre className="body-hex">
          <span data-captured>{hexDump(base64Bytes(body.base64, HEX_LIMIT))}</span>
          {body.decodedSize > HEX_LIMIT
            ? `\n${t('body.moreBytes', { size: formatSize(body.decodedSize - HEX_LIMIT) })}`
            : ''}
        </pre>
      )}
    </section>
  );
}
