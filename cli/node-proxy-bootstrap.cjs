// Preloaded into Node programs by `wirelog run` and `wirelog env` (NODE_OPTIONS=--require).
// Before Node 24.5 nothing in Node reads HTTP(S)_PROXY: fetch() gets an undici
// EnvHttpProxyAgent, and global-agent (as HTTP Toolkit's Node interception uses it) makes
// every http/https request use a proxy agent: https.get, got, axios, and ws, which with no
// agent of its own would otherwise connect directly. On newer Node, NODE_USE_ENV_PROXY=1
// does both natively.
'use strict';
try {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const nativeFetch = major >= 24 || (major === 22 && minor >= 21);
  const nativeHttp = major > 24 || (major === 24 && minor >= 5);
  const httpsProxy =
    process.env.HTTPS_PROXY || process.env.https_proxy || process.env.HTTP_PROXY || process.env.http_proxy;
  if (httpsProxy && !nativeFetch) {
    const { EnvHttpProxyAgent, setGlobalDispatcher } = require('undici');
    setGlobalDispatcher(new EnvHttpProxyAgent());
  }
  if (httpsProxy && !nativeHttp) {
    // An empty namespace: it reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY themselves.
    require('global-agent').bootstrap({ environmentVariableNamespace: '' });
  }
} catch (err) {
  process.emitWarning(`wirelog could not route this program's HTTP through its proxy: ${err?.message}`);
}
