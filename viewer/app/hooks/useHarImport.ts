import type { TFunction } from 'i18next';
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { importHar, type ImportProgress } from '../api-client.ts';

function megabytes(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

/** Where an import is, in a few words of the viewer's language: what the banner shows while it runs. */
export function progressText(name: string, p: ImportProgress, t: TFunction): string {
  const number = (n: number) => n.toLocaleString('en');
  if (p.phase === 'upload') return t('harImport.upload', { name, sent: megabytes(p.bytes) });
  if (p.phase === 'check')
    return t('harImport.check', {
      name,
      count: p.entries,
      entries: number(p.entries),
      read: megabytes(p.bytes),
      total: megabytes(p.totalBytes),
    });
  return t('harImport.store', { name, count: p.entries, stored: number(p.stored), entries: number(p.entries) });
}

/** Imports a HAR file (picked or dropped), shows how far it is, says how many exchanges came in, and opens the last of them. */
export function useHarImport(
  select: (id: number) => void,
  onError: (message: string) => void,
): { notice: string | null; importFile: (file: File) => Promise<void> } {
  const { t } = useTranslation();
  const [notice, setNotice] = useState<string | null>(null);
  const importFile = useCallback(
    async (file: File) => {
      setNotice(t('harImport.starting', { name: file.name }));
      try {
        const result = await importHar(file, (progress) => setNotice(progressText(file.name, progress, t)));
        // The server's notes on what it could not read are its own words (English for now).
        const notes = result.notes.length ? t('harImport.notes', { notes: result.notes.join('; ') }) : '';
        setNotice(`${t('harImport.done', { count: result.imported, name: result.name })}${notes}`);
        if (result.ids.length) select(result.ids[result.ids.length - 1]);
      } catch (err) {
        setNotice(null);
        onError(t('harImport.failed', { name: file.name, error: (err as Error).message }));
      }
    },
    [select, onError, t],
  );
  return { notice, importFile };
}
