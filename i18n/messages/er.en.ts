// What `wirelog import` says when an exchange it stored could not be understood, indexed for
// search or packed (db/import-store.ts ImportStore.failures): one line per kind, with how many
// and the first one's id, so that nothing an import did not do goes unsaid.

export const importFailuresEn = {
  understand:
    '{{count}} imported exchange(s) could not be read as model calls (first #{{first}}: {{error}}); they are stored whole, without model, tokens or diagnosis',
  index:
    '{{count}} imported exchange(s) could not be indexed for search (first #{{first}}: {{error}}); they are stored whole: open them by id or from `wirelog list`',
  pack: '{{count}} imported exchange(s) kept their request body as it came, not split into parts (first #{{first}}: {{error}}); it is stored whole and takes more room',
  capture: 'some exchanges could not be understood or indexed: {{error}}; they are stored whole',
};

export type ImportFailuresMessages = typeof importFailuresEn;
