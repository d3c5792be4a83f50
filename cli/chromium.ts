// Chromium and Electron apps take no proxy variables and no CA file: they take flags. They
// also never send loopback traffic to a proxy unless told (`<-loopback>`), which is where a
// local relay lives. One leaf key for every host makes the certificate pin a single value.
import path from 'node:path';

const CHROMIUM_NAMES =
  /^(chromium(-browser)?|google-chrome(-stable|-beta|-unstable)?|chrome|msedge|microsoft-edge(-stable)?|brave(-browser)?|electron)(\.exe)?$/i;

export function isChromiumLike(command: string): boolean {
  return CHROMIUM_NAMES.test(path.basename(command));
}

/** The flags that send every request (loopback included) through wirelog and trust its leaf key. */
export function chromiumFlags(proxyUrl: string, leafSpki: string): string[] {
  // Chromium's --proxy-server takes no credentials: it asks for them itself.
  const url = new URL(proxyUrl);
  return [
    `--proxy-server=${url.protocol}//${url.host}`,
    '--proxy-bypass-list=<-loopback>',
    `--ignore-certificate-errors-spki-list=${leafSpki}`,
  ];
}
