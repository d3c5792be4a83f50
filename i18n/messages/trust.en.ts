// Trusting the wirelog CA beyond `wirelog run` (issue 29): `wirelog ca`'s lines for the NSS
// databases (Chromium, Firefox) and Java's trust store, `wirelog ca --install/--uninstall`, and
// the Java trust store wirelog keeps in the data dir. Commands, paths, flags and tool names stay
// as they are in every language.

export const trustEn = {
  help: `wirelog ca [--pem] [--regenerate] [--install|--uninstall [--nss] [--java]] [--data-dir DIR]: where the CA is,
its fingerprint, and how to trust it
  --regenerate   replace the CA with a new one (trust the new one; the old one stops working)
  --install      trust the CA in this machine's store (macOS: your login keychain; Debian/Ubuntu, Fedora: the
                 system store, as root), printing each command before it runs
  --nss          also in your NSS databases: Chromium's (~/.pki/nssdb) and each Firefox profile's (needs certutil)
  --java         also in the JDK's own trust store (cacerts, with keytool)
  --uninstall    take it out of the same stores again`,
  stores: {
    intro: 'Browsers and Java keep their own trust stores:',
    nss: '  Chromium and Firefox on Linux (NSS; certutil is in libnss3-tools), for each database:',
    java: "  Java (the JDK's cacerts; `wirelog run` and `wirelog env` need none of this: they set JAVA_TOOL_OPTIONS):",
    install:
      'Or let wirelog do it, printing each command first: wirelog ca --install [--nss] [--java] (--uninstall undoes it)',
  },
  conflict: '--install and --uninstall go one at a time: give one of them',
  needsAction: '--nss and --java choose stores for --install or --uninstall: add one of them',
  store: {
    system: 'the system store {{place}}',
    nss: 'the NSS database {{place}}',
    java: "Java's trust store {{place}}",
  },
  done: {
    install: '{{store}}: the wirelog CA is trusted there now',
    uninstall: '{{store}}: the wirelog CA is no longer there',
  },
  failed:
    '{{store}}: `{{command}}` failed ({{why}}); the commands after it were not run: fix the cause and run wirelog ca again',
  exit: 'exit {{status}}',
  skip: {
    needsRoot: '{{store}}: needs root, not run; run these yourself:',
    noTool: '{{store}}: not changed, {{tool}} is not installed: install it ({{fix}}) and run again',
    platform:
      '{{store}}: wirelog does not change trust stores on {{platform}}: run the commands that `wirelog ca` prints',
    absent: '{{store}}: the wirelog CA is not there, nothing to remove',
    noJava:
      "Java's trust store: not changed, no JDK found (keytool and lib/security/cacerts under JAVA_HOME or the java on PATH): set JAVA_HOME and run again",
  },
  codexDeferredTools:
    "Codex 0.171 hides MCP tools behind tool_search, which it gives only to models it has metadata for (not a relay's): if the model never sees wirelog's tools, uncomment these two lines (or add the second to a [features] table you already have)",
  role: {
    javaStore: 'the Java trust store',
    javaPassword: 'the Java trust store password',
  },
  fix: {
    removeJavaStore: 'remove it and the store beside it (rm {{file}} {{store}}): wirelog writes both again',
  },
} as const;

export type TrustMessages = typeof trustEn;
