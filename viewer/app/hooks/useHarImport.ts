import { useCallback, useState } from 'react';
import { importHar, type ImportProgress } from '../api.ts';

function megabytes(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

/** Where an import is, in a few words: what the banner shows while it runs. */
export function progressText(name: string, p: ImportProgress): string {
  if (p.phase === 'upload') return `Importing ${name}: ${megabytes(p.bytes)} sent…`;
  if (p.phase === 'check') return `Importing ${name}: ${p.entries.toLocaleString('en')} entries checked (${megabytes(p.bytes)} of ${megabytes(p.totalBytes)})…`;
  return `Importing ${name}: ${p.stored.toLocaleString('en')} of ${p.entries.toLocaleString('en')} entries stored…`;
}

/** Imports a HAR file (picked or dropped), shows how far it is, says how many exchanges came in, and opens the last of them. */
export function useHarImport(select: (id: number) => void, onError: (message: string) => void): { notice: string | null; importFile: (file: File) => Promise<void> } {
  const [notice, setNotice] = useState<string | null>(null);
  const importFile = useCallback(
    async (file: File) => {
      setNotice(`Importing ${file.name}…`);
      try {
        const result = await importHar(file, (progress) => setNotice(progressText(file.name, progress)));
        const notes = result.notes.length ? `. Note: ${result.notes.join('; ')}` : '';
        setNotice(`Imported ${result.imported} exchange(s) from ${result.name}${notes}`);
        if (result.ids.length) select(result.ids[result.ids.length - 1]);
      } catch (err) {
        setNotice(null);
        onError(`Import of ${file.name}: ${(err as Error).message}`);
      }
    },
    [select, onError],
  );
  return { notice, importFile };
}
