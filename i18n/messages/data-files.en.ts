// What wirelog says about the files of its data dir (certs/safe-files.ts, certs/ca.ts,
// db/schema.ts and the files other modules keep there): each refusal is a phrase (a message
// with parameters, some of them phrases: the file's part, the problem, the fix) rendered in the
// CLI's language where it is printed (cli.ts), and in English as the error's own message.

export const dataFilesEn = {
  role: {
    caFolder: 'the CA folder',
    caCert: 'the CA certificate',
    caKey: 'the CA key',
    caPublicKey: 'the CA public key',
    leafKey: 'the leaf key',
    trustBundle: 'the trust bundle',
    dataDir: 'the data dir',
    clientFiles: 'the client files folder',
    wgetSettings: 'the wget settings',
    instance: 'the instance record',
    database: 'the database file',
    fingerprintKey: 'the fingerprint key',
  },
  fix: {
    regenerate: 'run `wirelog ca --regenerate` and trust the new CA',
    moveCaFolder:
      'move it away (mv {{dir}} {{dir}}.untrusted), then run `wirelog ca --regenerate` and trust the new CA',
    moveAndRunAgain: 'move it away (mv {{dir}} {{dir}}.untrusted) and run again',
    removeRewritten: 'remove it (rm {{file}}): wirelog writes it again',
    removeInstance: 'remove it (rm {{file}}) while no wirelog runs on this data dir',
    otherDataDir: 'choose another with --data-dir or WIRELOG_HOME',
    moveDatabase:
      'move it away (mv) while no wirelog runs, or point --data-dir at the directory that really holds the database',
    removeFingerprintKey:
      'remove it (rm {{file}}) and start again: wirelog makes a new one (fingerprints stored so far will then differ from new ones)',
  },
  kind: {
    link: 'a symbolic link (to {{target}})',
    directory: 'a directory',
    fifo: 'a named pipe (FIFO)',
    socket: 'a socket',
    device: 'a device',
    notRegular: 'not a regular file',
    file: 'a file',
  },
  owner: {
    named: 'user {{name}} (uid {{uid}})',
    uid: 'uid {{uid}}',
  },
  doing: {
    lookedAt: 'looked at',
    read: 'read',
    created: 'created',
    written: 'written',
    removed: 'removed',
  },
  file: {
    refused: '{{what}} {{file}} {{problem}}: {{fix}}',
    readableByOthers:
      '{{what}} {{file}} can be read by other users (mode {{mode}}): run `chmod 600 {{file}}` (or, if someone may have copied it: {{fix}})',
    isLink: 'is {{kind}}, and wirelog follows no link in its data dir',
    notAFile: 'is {{kind}}, not a file wirelog wrote',
    othersFile: 'belongs to {{owner}}, mode {{mode}}, not to you (uid {{uid}}): its owner could have written it',
    cannotBe: 'cannot be {{doing}} ({{code}})',
    replaced: 'was replaced while wirelog opened it',
    vanished: 'vanished while wirelog created it',
    isDirectory: 'is a directory, not a file wirelog wrote (remove it yourself: rm -r)',
  },
  dir: {
    refused: '{{what}} {{dir}} cannot be used: {{problem}}; {{fix}}',
    cannotCreate: 'it cannot be created ({{code}})',
    vanished: 'it vanished while wirelog made it',
    linkInside: 'it is {{kind}}, and wirelog follows no link inside its data dir',
    othersLink: 'it is {{kind}} made by {{owner}}, who can point it elsewhere at any time',
    leadsNowhere: 'it is {{kind}} that leads nowhere ({{code}})',
    notADirectory: 'it is {{kind}}, not a directory',
    othersDir:
      'it belongs to {{owner}}, mode {{mode}}, not to you (uid {{uid}}), and its owner can read and plant anything in it',
    othersEnter:
      'others can enter it (mode {{mode}}) and it cannot be made owner-only ({{code}}): run `chmod 700 {{dir}}`',
    notUsable: 'you cannot read and write it ({{code}}): run `chmod 700 {{dir}}`',
  },
  ca: {
    certVanished:
      'the CA certificate {{file}} vanished while wirelog created it: run `wirelog ca --regenerate` and trust the new CA',
    keyMissing:
      'the CA key {{file}} is missing while its certificate is there: run `wirelog ca --regenerate` and trust the new CA',
    unreadable: 'the CA in {{dir}} cannot be read ({{error}}): run `wirelog ca --regenerate` and trust the new CA',
    expired: 'the wirelog CA in {{dir}} expired on {{date}}: run `wirelog ca --regenerate` and trust the new one',
  },
  database: {
    cannotOpen:
      'cannot open the database {{file}}: {{error}}; check that the data dir is readable and writable by you, or pick another with --data-dir',
    newer:
      'the database {{file}} has schema version {{version}}, newer than this wirelog understands ({{known}}): upgrade wirelog, or use another --data-dir',
  },
  fingerprintTooShort:
    '{{file}} is too short to be a fingerprint key: delete it and restart wirelog (fingerprints stored so far will no longer match new ones)',
};

export type DataFilesMessages = typeof dataFilesEn;
