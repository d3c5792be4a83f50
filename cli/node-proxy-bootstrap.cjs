// Preloaded into Node programs by `wirelog run` (NODE_OPTIONS=--require): Node's built-in
// fetch ignores HTTP(S)_PROXY before Node 22.21 / 24, so route it through an undici
// EnvHttpProxyAgent, which reads those variables. On newer Node, NODE_USE_ENV_PROXY=1 does it.
'use strict';
try {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const native = major >= 24 || (major === 22 && minor >= 21);
  if (!native && (process.env.HTTPS_PROXY || process.env.HTTP_PROXY)) {
    const { EnvHttpProxyAgent, setGlobalDispatcher } = require('undici');
    setGlobalDispatcher(new EnvHttpProxyAgent());
  }
} catch (err) {
  process.emitWarning(`wirelog could not route fetch() through its proxy: ${err && err.message}`);
}
