// Bodies of any size (viewer/app/components/BodyPanel.tsx, RawLines, Base64Run, JsonTree,
// StreamView) and the storage cuts they show: English, the shape bodies.zh-CN.ts follows.
export const bigBodyEn = {
  pretty: 'Pretty',
  download: 'Download',
  expand: 'expand',
  collapse: 'collapse',
  close: 'Close',
  indenting: 'indenting… {{rows}} rows so far',
  base64Run: 'base64, {{size}}',
  typedRun: '{{mime}}, {{size}}',
  floats_one: '{{count}} float',
  floats_other: '{{count}} floats',
  moreChars: 'show {{count}} more characters',
  tooLarge:
    'This body is {{size}}: too large to show whole here. The first {{shown}} is shown; Download saves all of it.',
  cutByStorage: 'Cut by storage: {{stored}} of {{size}} kept. The client got all of it. Why:',
  eventsCapped: 'Showing the last {{shown}} of {{count}} events.',
  cutIds: 'Cut:',
};
