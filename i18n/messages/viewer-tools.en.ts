// The viewer's tools around what it shows (issue 30, "The viewer looks finished"): copy buttons on
// bodies, headers and the config blocks a fix offers, and the separator between the list and the
// detail. Chinese in viewer-tools.zh-CN.ts.

export const viewerToolsEn = {
  copy: 'Copy',
  copied: 'Copied',
  copyFailed: 'The browser refused the clipboard: select the text and copy it by hand',
  copyBody: 'Copy body',
  copyBodyTitle: 'Copies the body as it came (decoded), as the Raw view shows it',
  copyBase64: 'Copy Base64',
  copyHeaders: 'Copy all',
  copyHeadersTitle: 'Copies every header as "name: value", one per line',
  copyHeaderLine: 'Copy this line: "{{name}}: …"',
  copyToml: 'Copy config',
  copyAddress: 'Copy address',
  resizePanes: 'Width of the list: drag, or use the arrow keys (Home and End for the ends)',
};
