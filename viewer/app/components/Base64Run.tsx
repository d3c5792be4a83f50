import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { base64Bytes, rawRows, type Base64Info } from '../body-rows.ts';
import { formatSize } from '../format.ts';
import { RawLines } from './RawLines.tsx';

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
  'audio/mpeg': 'mp3',
  'application/zip': 'zip',
};

/** Saves bytes or text as a file, from memory (nothing is asked of the server again). */
export function download(data: BlobPart, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  // The download has started once click() returns; the URL is not needed after.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * A base64 string (image data, audio, an embedding sent as base64) shown as `[image/png, 832 KB]`:
 * a 3 MB run of letters says nothing to a reader and costs the page its speed. Opens to its text
 * (`onOpen`, or here below it) and downloads as the bytes it decodes to.
 */
export function Base64Run({ text, info, onOpen }: { text: string; info: Base64Info; onOpen?: (text: string) => void }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const rows = useMemo(() => (open ? rawRows(text) : null), [open, text]);
  const label =
    info.mime === 'base64'
      ? t('bigBody.base64Run', { size: formatSize(info.bytes) })
      : t('bigBody.typedRun', { mime: info.mime, size: formatSize(info.bytes) });
  return (
    <span className="base64-run" data-testid="base64-run">
      <span className="run-label" data-captured>
        [{label}]
      </span>
      <button type="button" className="link-button" onClick={() => (onOpen ? onOpen(text) : setOpen(!open))}>
        {open ? t('bigBody.collapse') : t('bigBody.expand')}
      </button>
      <button
        type="button"
        className="link-button"
        onClick={() =>
          download(
            base64Bytes(text.slice(info.offset)) as Uint8Array<ArrayBuffer>,
            `body-part.${EXTENSIONS[info.mime] ?? 'bin'}`,
            info.mime === 'base64' ? 'application/octet-stream' : info.mime,
          )
        }
      >
        {t('bigBody.download')}
      </button>
      {rows && !onOpen && (
        <span className="run-open">
          <RawLines rows={rows} version={0} testId="opened-run" />
        </span>
      )}
    </span>
  );
}
