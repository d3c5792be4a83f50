// `wirelog export --har` run on a thread of its own (export/har-export-thread.ts): what the CLI
// says when that thread stops before the HAR is whole.

export const harExportEn = {
  stopped: 'the HAR export stopped (exit code {{code}}) before it ended: {{file}} is incomplete',
  failed: 'the HAR export failed: {{reason}}; {{file}} is incomplete',
};
