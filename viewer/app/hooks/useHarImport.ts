import { useCallback, useState } from 'react';
import { importHar } from '../api.ts';

/** Imports a HAR file (picked or dropped), says how many exchanges came in, and opens the last of them. */
export function useHarImport(select: (id: number) => void, onError: (message: string) => void): { notice: string | null; importFile: (file: File) => Promise<void> } {
  const [notice, setNotice] = useState<string | null>(null);
  const importFile = useCallback(
    async (file: File) => {
      setNotice(null);
      try {
        const result = await importHar(file);
        setNotice(`Imported ${result.imported} exchange(s) from ${result.name}`);
        if (result.ids.length) select(result.ids[result.ids.length - 1]);
      } catch (err) {
        onError(`Import of ${file.name}: ${(err as Error).message}`);
      }
    },
    [select, onError],
  );
  return { notice, importFile };
}
