// Search at a million exchanges (issue 28): a total counted up to a cap is said as a lower bound.

export const searchScaleEn = {
  /** A count the server stopped at (db/reader.ts countUpTo): more match than this. */
  atLeast: '{{count}}+',
  cli: {
    help: "  --search WORDS: only exchanges whose text holds every word (as the viewer's search box), and how many match",
    matches_one: '{{formatted}} exchange matches "{{search}}"',
    matches_other: '{{formatted}} exchanges match "{{search}}"',
  },
};

export type SearchScaleMessages = typeof searchScaleEn;
