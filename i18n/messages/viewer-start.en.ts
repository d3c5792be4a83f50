// The viewer's start-up (issue 28: the first rows at a million exchanges): its code comes in
// chunks loaded when needed, and one that does not load says so. Chinese in viewer-start.zh-CN.ts.

export const viewerStartEn = {
  codeNotLoaded:
    "Part of the viewer's code did not load ({{error}}): wirelog was probably updated or restarted since this page was opened. Reload the page.",
};
