// Engineer QA's strings: the viewer's HAR export cut short by its worker, the search indexer's
// wait, and the storage thread's refusal of a malformed batch.

export const qaEn = {
  harExport: {
    // Written as the last line of a HAR the viewer was streaming: the file is cut there.
    failed:
      'wirelog: the HAR export failed: {{reason}}. This file is incomplete: export it again, or run `wirelog export --har FILE` to see the error.',
    stopped:
      'wirelog: the HAR export stopped (exit code {{code}}) before it ended. This file is incomplete: export it again.',
  },
};
