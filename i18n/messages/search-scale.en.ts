// Search at a million exchanges (issue 28): a total counted up to a cap is said as a lower bound.

export const searchScaleEn = {
  /** A count the server stopped at (db/reader.ts countUpTo): more match than this. */
  atLeast: '{{count}}+',
};

export type SearchScaleMessages = typeof searchScaleEn;
