// What each diagnosis rule says, in every language wirelog speaks: one entry per message, its
// summary and its fix, filled from the rule's parameters (host, path, the provider's own
// message, the config line). Rules (llm/diagnose.ts) decide *what* is wrong and pass
// parameters; the words live here, so a message catalogue can take them over without touching
// a rule. Config snippets (TOML, URLs, header lines) are parameters and never translated.
import type { Language } from '../i18n/languages.ts';
import type { ClientKind } from './working-config.ts';
import { clipped } from '../model/summary.ts';

/** The catalogue's languages: the diagnoses speak each of them. */
export type Lang = Language;
export const LANGS: readonly Lang[] = ['en', 'zh-CN'];

/** A rule's parameters: every value a string ('' when absent), so a catalogue can take them as they are. */
export type Params = Record<string, string>;
type Words = Record<Lang, (p: Params) => string>;
export interface RuleText {
  summary: Words;
  fix: Words;
}

/** The provider's own message, quoted in the sentence ('' when it sent none). */
const quoted: Words = {
  en: (p) => (p.message ? ` ("${p.message}")` : ''),
  'zh-CN': (p) => (p.message ? `（"${p.message}"）` : ''),
};

/** How each client names its base URL setting. `base` is the base URL, `endpoint` the whole URL, `cherry` Cherry Studio's address for it. */
const SET_BASE_URL: Record<ClientKind, Words> = {
  codex: {
    en: (p) => `Set base_url = "${p.base}" in your [model_providers.NAME] table (~/.codex/config.toml)`,
    'zh-CN': (p) => `在 ~/.codex/config.toml 的 [model_providers.NAME] 里设置 base_url = "${p.base}"`,
  },
  'cherry-studio': {
    en: (p) =>
      `In Cherry Studio (Settings → Model Provider → this provider), set API Address to ${p.cherry} (an address ending in # is used exactly as typed by every Cherry Studio version; without it, versions append /v1 and /chat/completions differently)`,
    'zh-CN': (p) =>
      `在 Cherry Studio（设置 → 模型服务 → 该服务商）把「API 地址」填成 ${p.cherry}（以 # 结尾的地址，各版本 Cherry Studio 都按原样使用；不带 # 时，各版本补 /v1、/chat/completions 的方式不一样）`,
  },
  'openai-node': {
    en: (p) => `Set baseURL: "${p.base}" in new OpenAI({ ... }) (or OPENAI_BASE_URL=${p.base})`,
    'zh-CN': (p) => `在 new OpenAI({ ... }) 里设置 baseURL: "${p.base}"（或设置环境变量 OPENAI_BASE_URL=${p.base}）`,
  },
  'openai-python': {
    en: (p) => `Set base_url="${p.base}" in OpenAI(...) (or OPENAI_BASE_URL=${p.base})`,
    'zh-CN': (p) => `在 OpenAI(...) 里设置 base_url="${p.base}"（或设置环境变量 OPENAI_BASE_URL=${p.base}）`,
  },
  curl: { en: (p) => `Send the request to ${p.endpoint}`, 'zh-CN': (p) => `把请求发到 ${p.endpoint}` },
  other: { en: (p) => `Set base_url = "${p.base}"`, 'zh-CN': (p) => `把 base_url 设为 "${p.base}"` },
};

/** What each client calls the place its base URL goes, for a fix that cannot say the exact value. */
const BASE_URL_SETTING: Record<ClientKind, Record<Lang, string>> = {
  codex: {
    en: 'base_url in [model_providers.NAME] (~/.codex/config.toml)',
    'zh-CN': '~/.codex/config.toml 里 [model_providers.NAME] 的 base_url',
  },
  'cherry-studio': {
    en: "Cherry Studio's API Address for this provider (the whole endpoint URL ending in #, which every version uses as typed)",
    'zh-CN': 'Cherry Studio 该服务商的「API 地址」（填完整接口地址并以 # 结尾，各版本都按原样使用）',
  },
  'openai-node': {
    en: 'baseURL in new OpenAI({ ... }) (or OPENAI_BASE_URL)',
    'zh-CN': 'new OpenAI({ ... }) 的 baseURL（或 OPENAI_BASE_URL）',
  },
  'openai-python': {
    en: 'base_url in OpenAI(...) (or OPENAI_BASE_URL)',
    'zh-CN': 'OpenAI(...) 的 base_url（或 OPENAI_BASE_URL）',
  },
  curl: { en: 'the URL of the curl command', 'zh-CN': 'curl 命令里的 URL' },
  other: { en: 'base_url', 'zh-CN': 'base_url' },
};

/** Codex's way to send a key, kept whole: the line that always works is quoted TOML. */
const CODEX_KEY: Words = {
  en: (p) =>
    `For Codex, in [model_providers.NAME]: env_key = "YOUR_KEY_VARIABLE" (and export that variable), or the line that always works: http_headers = { "${p.header}" = "${p.headerValue}" }; since Codex 0.149 a provider with requires_openai_auth = false no longer sends the auth.json key.`,
  'zh-CN': (p) =>
    `Codex：在 [model_providers.NAME] 里写 env_key = "YOUR_KEY_VARIABLE"（并 export 这个变量），或者一定有效的写法：http_headers = { "${p.header}" = "${p.headerValue}" }；Codex 0.149 起，requires_openai_auth = false 的服务商不再发送 auth.json 里的密钥。`,
};

/** How each client attaches a key, for a call that carried none. `header`/`headerValue`: where the dialect wants it. */
const ATTACH_KEY: Record<ClientKind, Words> = {
  codex: {
    en: (p) => `Codex did not attach the key. ${CODEX_KEY.en(p)}`,
    'zh-CN': (p) => `Codex 没有带上密钥。${CODEX_KEY['zh-CN'](p)}`,
  },
  'cherry-studio': {
    en: () =>
      "Cherry Studio sent no key: paste it into this provider's API Key field (Settings → Model Provider → API Key), then press Check.",
    'zh-CN': () =>
      'Cherry Studio 没有发送密钥：在「设置 → 模型服务 → 该服务商」的「API 密钥」里填入令牌，再点「检测」。',
  },
  'openai-node': {
    en: () => 'The openai SDK sent no key: pass new OpenAI({ apiKey }) or export OPENAI_API_KEY before starting.',
    'zh-CN': () => 'openai SDK 没有发送密钥：传入 new OpenAI({ apiKey })，或在启动前 export OPENAI_API_KEY。',
  },
  'openai-python': {
    en: () => 'The openai SDK sent no key: pass OpenAI(api_key=...) or export OPENAI_API_KEY before starting.',
    'zh-CN': () => 'openai SDK 没有发送密钥：传入 OpenAI(api_key=...)，或在启动前 export OPENAI_API_KEY。',
  },
  curl: {
    en: (p) => `Add the key to the command: -H "${p.header}: ${p.headerValue}".`,
    'zh-CN': (p) => `在命令里加上密钥：-H "${p.header}: ${p.headerValue}"。`,
  },
  other: {
    en: (p) =>
      `The client did not attach the key (this API takes it as ${p.header}: ${p.headerValue}). ${CODEX_KEY.en(p)}`,
    'zh-CN': (p) => `客户端没有带上密钥（这个接口要求 ${p.header}: ${p.headerValue}）。${CODEX_KEY['zh-CN'](p)}`,
  },
};

/** Where each client keeps the key, for a key the provider rejected. */
const KEY_SETTING: Record<ClientKind, Record<Lang, string>> = {
  codex: {
    en: ' Codex sends the variable env_key names (or http_headers).',
    'zh-CN': ' Codex 发送的是 env_key 指定的环境变量（或 http_headers）里的密钥。',
  },
  'cherry-studio': {
    en: " In Cherry Studio it is this provider's API Key field (Settings → Model Provider).",
    'zh-CN': ' 在 Cherry Studio 里是该服务商的「API 密钥」（设置 → 模型服务）。',
  },
  'openai-node': {
    en: ' The SDK sends apiKey, or OPENAI_API_KEY when none is passed.',
    'zh-CN': ' SDK 发送的是 apiKey，没传时用 OPENAI_API_KEY。',
  },
  'openai-python': {
    en: ' The SDK sends api_key, or OPENAI_API_KEY when none is passed.',
    'zh-CN': ' SDK 发送的是 api_key，没传时用 OPENAI_API_KEY。',
  },
  curl: { en: ' curl sends the key in the -H header of the command.', 'zh-CN': ' curl 发送的是命令里 -H 头中的密钥。' },
  other: { en: '', 'zh-CN': '' },
};

function client(p: Params): ClientKind {
  return (p.client in SET_BASE_URL ? p.client : 'other') as ClientKind;
}

/** The base URL line for this client, with "(without /chat/completions)" where the client writes a base URL. */
function setBaseUrl(lang: Lang, p: Params, without: string): string {
  const kind = client(p);
  const line = SET_BASE_URL[kind][lang](p);
  if (!without || kind === 'curl' || kind === 'cherry-studio') return line;
  return lang === 'en' ? `${line} (without ${without})` : `${line}（不要带 ${without}）`;
}

/** Where to top up: a known provider's page, else the provider's (or the relay's) own. */
function topUp(lang: Lang, p: Params): string {
  if (p.topUp) return lang === 'en' ? ` (${p.topUp})` : `（${p.topUp}）`;
  return lang === 'en'
    ? " on the provider's billing page (a relay's key: the relay's own top-up page, or ask its admin for more quota)"
    : '（服务商的充值页面；中转站的令牌：到该站的钱包/充值页充值，或找站长加额度）';
}

/** A stream's error read as the status it stands for: that rule's words, without the status it starts with. */
function innerSummary(lang: Lang, p: Params): string {
  const inner = p.inner ? textOf(p.inner) : undefined;
  if (!inner) return p.reason;
  return inner.summary[lang](p).replace(
    lang === 'en' ? /^\d{3}(: | from behind the relay: )/ : /^\d{3}(：|，来自中转站背后：)/,
    '',
  );
}

function innerFix(lang: Lang, p: Params): string | undefined {
  const inner = p.inner ? textOf(p.inner) : undefined;
  return inner?.fix[lang](p);
}

/** Why a call got no answer (llm/diagnose.ts undelivered, from what proxy/upstream.ts recorded). */
type Undelivered =
  | 'dns'
  | 'refused'
  | 'reset'
  | 'tls-closed'
  | 'tls'
  | 'connect-timeout'
  | 'timed-out'
  | 'unreachable'
  | 'no-answer'
  | 'upstream-proxy'
  | 'other';
function undeliveredKind(p: Params): Undelivered {
  return p.kind in UNDELIVERED_WHY ? (p.kind as Undelivered) : 'other';
}
const NOT_DELIVERED = { en: 'wirelog could not deliver the call', 'zh-CN': 'wirelog 没能把这次调用送到服务商' };
const UNDELIVERED_WHY: Record<Undelivered, Words> = {
  dns: {
    en: (p) => `${NOT_DELIVERED.en}: the DNS lookup of ${p.host} failed (${p.code}).`,
    'zh-CN': (p) => `${NOT_DELIVERED['zh-CN']}：${p.host} 的 DNS 解析失败（${p.code}）。`,
  },
  refused: {
    en: (p) => `${NOT_DELIVERED.en}: ${p.where} refused the connection (nothing listens on that port).`,
    'zh-CN': (p) => `${NOT_DELIVERED['zh-CN']}：${p.where} 拒绝了连接（那个端口上没有程序在监听）。`,
  },
  reset: {
    en: (p) => `${NOT_DELIVERED.en}: ${p.where} reset the connection before any answer.`,
    'zh-CN': (p) => `${NOT_DELIVERED['zh-CN']}：还没有任何回答，与 ${p.where} 的连接就被重置了。`,
  },
  'tls-closed': {
    en: (p) => `${NOT_DELIVERED.en}: ${p.where} closed the connection during the TLS handshake (${p.code}).`,
    'zh-CN': (p) => `${NOT_DELIVERED['zh-CN']}：TLS 握手时 ${p.where} 关闭了连接（${p.code}）。`,
  },
  tls: {
    en: (p) => `${NOT_DELIVERED.en}: the TLS handshake with ${p.where} failed (${p.code}).`,
    'zh-CN': (p) => `${NOT_DELIVERED['zh-CN']}：与 ${p.where} 的 TLS 握手失败（${p.code}）。`,
  },
  'connect-timeout': {
    en: (p) => `${NOT_DELIVERED.en}: connecting to ${p.where} took longer than ${p.seconds} s.`,
    'zh-CN': (p) => `${NOT_DELIVERED['zh-CN']}：连接 ${p.where} 超过了 ${p.seconds} 秒。`,
  },
  'timed-out': {
    en: (p) => `${NOT_DELIVERED.en}: the connection to ${p.where} timed out.`,
    'zh-CN': (p) => `${NOT_DELIVERED['zh-CN']}：连接 ${p.where} 超时。`,
  },
  unreachable: {
    en: (p) => `${NOT_DELIVERED.en}: ${p.where} is unreachable from this machine (${p.code}).`,
    'zh-CN': (p) => `${NOT_DELIVERED['zh-CN']}：本机到不了 ${p.where}（${p.code}）。`,
  },
  'no-answer': {
    en: (p) =>
      `${p.where} did not answer: wirelog sent the call and heard nothing for ${p.silent}, then gave up (--idle-timeout ${p.seconds} s).`,
    'zh-CN': (p) =>
      `${p.where} 没有回答：wirelog 把调用发了过去，${p.silent.replace(' s', ' 秒')}没有收到任何数据，于是放弃了（--idle-timeout ${p.seconds} 秒）。`,
  },
  'upstream-proxy': {
    en: (p) =>
      `${NOT_DELIVERED.en}: the upstream proxy ${p.proxy} (--upstream-proxy) did not open a tunnel to ${p.where}.`,
    'zh-CN': (p) => `${NOT_DELIVERED['zh-CN']}：上游代理 ${p.proxy}（--upstream-proxy）没有打通到 ${p.where} 的隧道。`,
  },
  other: {
    en: (p) => `${NOT_DELIVERED.en}: ${p.where} failed (${p.error}).`,
    'zh-CN': (p) => `${NOT_DELIVERED['zh-CN']}：${p.where} 出错（${p.error}）。`,
  },
};
/** wirelog connects to providers itself: a shell's proxy (Clash's https_proxy) is not used. */
const DIRECT = {
  en: "wirelog connects directly, not through the shell's proxy (https_proxy), so a provider reachable only through a proxy is not reached; start wirelog with --upstream-proxy http://HOST:PORT (Clash: http://127.0.0.1:7890) to go through it",
  'zh-CN':
    'wirelog 直接连接，不走 shell 里设置的代理（https_proxy），只能通过代理访问的服务商它连不上；启动 wirelog 时加上 --upstream-proxy http://HOST:PORT（Clash 是 http://127.0.0.1:7890）就会走这个代理',
};
const REACH: Words = {
  en: (p) =>
    `Check the host and port in the client's base URL, and that this machine reaches ${p.where} directly: ${DIRECT.en}.`,
  'zh-CN': (p) => `检查客户端 base URL 里的域名和端口，以及本机能否直连 ${p.where}：${DIRECT['zh-CN']}。`,
};
const UNDELIVERED_FIX: Record<Undelivered, Words> = {
  dns: {
    en: (p) =>
      `Check the host name in the client's base URL (a typo, a relay that moved to another domain); if it is right, this machine's DNS does not resolve ${p.host}: ${DIRECT.en}.`,
    'zh-CN': (p) =>
      `检查客户端 base URL 里的域名（拼错了，或者中转站换了域名）；域名没错的话，就是本机的 DNS 解析不了 ${p.host}：${DIRECT['zh-CN']}。`,
  },
  refused: {
    en: () =>
      "Check the port in the client's base URL, and that the server meant to answer there (a local relay, one-api, new-api) is running.",
    'zh-CN': () => '检查客户端 base URL 里的端口，以及应该在那里应答的服务（本地中转、one-api、new-api）有没有在运行。',
  },
  reset: {
    en: (p) =>
      `Retry; if it keeps happening, something between this machine and ${p.where} drops the connection (a firewall, a network that needs a proxy: ${DIRECT.en}), or the port is not the one the server listens on.`,
    'zh-CN': (p) =>
      `重试；一直这样的话，就是本机和 ${p.where} 之间有东西掐断了连接（防火墙，或者需要代理的网络：${DIRECT['zh-CN']}），或者端口不是服务实际监听的那个。`,
  },
  'tls-closed': {
    en: () =>
      "The port probably does not serve HTTPS: check the scheme (http:// for a server without TLS) and the port in the client's base URL.",
    'zh-CN': () => '这个端口多半不提供 HTTPS：检查客户端 base URL 的协议（不带 TLS 的服务用 http://）和端口。',
  },
  tls: {
    en: () =>
      "If the server uses a certificate of its own (self-signed, a company's TLS inspection), start wirelog with --upstream-ca FILE to trust its CA (--insecure-upstream for a local test server); otherwise check the host in the client's base URL.",
    'zh-CN': () =>
      '如果服务端用的是自己的证书（自签名，或公司网络的 TLS 检查），启动 wirelog 时加 --upstream-ca FILE 信任它的 CA（本地测试服务器可以用 --insecure-upstream）；否则检查客户端 base URL 里的域名。',
  },
  'connect-timeout': {
    en: (p) => `${REACH.en(p)} If it is only slow, raise --connect-timeout.`,
    'zh-CN': (p) => `${REACH['zh-CN'](p)}如果只是慢，调大 --connect-timeout。`,
  },
  'timed-out': REACH,
  unreachable: REACH,
  'no-answer': {
    en: () =>
      'A model that thinks long before its first byte needs longer: start wirelog with a larger --idle-timeout; otherwise the relay is stuck: retry, or pick another provider/model on the relay.',
    'zh-CN': () =>
      '模型在第一个字节之前思考很久的话需要更长的等待：启动 wirelog 时把 --idle-timeout 调大；否则就是中转站卡住了：重试，或在中转站换个渠道/模型。',
  },
  'upstream-proxy': {
    en: (p) =>
      `Check that the proxy in --upstream-proxy (${p.proxy}) is running, its address and credentials (http://USER:PASS@HOST:PORT), and that it lets ${p.where} through; the exchange's error says what it answered.`,
    'zh-CN': (p) =>
      `检查 --upstream-proxy 里的代理（${p.proxy}）有没有在运行、地址和账号密码（http://USER:PASS@HOST:PORT）对不对，以及它是否允许连接 ${p.where}；这次调用的错误信息里有代理的原话。`,
  },
  other: REACH,
};

/** One message by id (declared with its type, so the rules' table can refer to itself). */
function textOf(id: string): RuleText | undefined {
  return (TEXTS as Record<string, RuleText>)[id];
}

/** What a client spoke to wirelog's port instead of HTTP/1.1 (proxy/proxy-server.ts records it): tls, h2c or socks. */
type Protocol = 'tls' | 'h2c' | 'socks';
function protocol(p: Params): Protocol {
  return p.protocol === 'h2c' || p.protocol === 'socks' ? p.protocol : 'tls';
}
const PROTOCOL_NAME: Record<Protocol, Words> = {
  tls: { en: () => 'TLS', 'zh-CN': () => 'TLS' },
  h2c: {
    en: () => 'HTTP/2 without TLS (prior knowledge, h2c)',
    'zh-CN': () => '不带 TLS 的 HTTP/2（prior knowledge，h2c）',
  },
  socks: { en: (p) => `SOCKS${p.version}`, 'zh-CN': (p) => `SOCKS${p.version}` },
};
const PROTOCOL_FIX: Record<Protocol, Words> = {
  tls: {
    en: (p) =>
      `A proxy URL for wirelog is http://${p.address}, not https:// (HTTPS_PROXY=http://${p.address} still carries HTTPS traffic), and a gateway URL is http://${p.address}/https/HOST/....`,
    'zh-CN': (p) =>
      `wirelog 的代理地址是 http://${p.address}，不是 https://（HTTPS_PROXY=http://${p.address} 照样能走 HTTPS 流量）；网关地址是 http://${p.address}/https/HOST/...。`,
  },
  h2c: {
    en: () =>
      "Wirelog takes HTTP/1.1; turn that option off (curl --http2-prior-knowledge, a gRPC client's plaintext mode).",
    'zh-CN': () => 'wirelog 只接受 HTTP/1.1：关掉这个选项（curl 的 --http2-prior-knowledge、gRPC 客户端的明文模式）。',
  },
  socks: {
    en: (p) =>
      `Wirelog is an HTTP proxy; give the client http://${p.address} as its proxy (HTTPS_PROXY, not ALL_PROXY=socks5://...).`,
    'zh-CN': (p) =>
      `wirelog 是 HTTP 代理：把客户端的代理设成 http://${p.address}（用 HTTPS_PROXY，不要用 ALL_PROXY=socks5://...）。`,
  },
};

/** Who cut a stream, by the state its exchange ended in. */
type CutBy = 'client' | 'reset' | 'wirelog' | 'provider';
function cutBy(p: Params): CutBy {
  return p.state === 'aborted'
    ? 'client'
    : p.state === 'upstream_error'
      ? 'reset'
      : p.state === 'interrupted'
        ? 'wirelog'
        : 'provider';
}
const CUT_BY: Record<CutBy, Record<Lang, string>> = {
  client: {
    en: 'the client closed the connection (it gave up or timed out)',
    'zh-CN': '客户端关闭了连接（放弃了或超时了）',
  },
  reset: { en: 'the provider reset the connection', 'zh-CN': '服务商重置了连接' },
  wirelog: { en: 'wirelog stopped while it was open', 'zh-CN': '流还没结束时 wirelog 停止了' },
  provider: {
    en: 'the provider ended the stream without its final event',
    'zh-CN': '服务商没有发送最后的结束事件就结束了流',
  },
};

/** How most clients come to trust the wirelog CA: `wirelog run`, or their own CA variable. */
const TRUST_BY_VARIABLE: Words = {
  en: () =>
    'Start the client with `wirelog run -- <command>`, or set its CA variable: Codex CODEX_CA_CERTIFICATE, Node NODE_EXTRA_CA_CERTS, Python REQUESTS_CA_BUNDLE / SSL_CERT_FILE, curl CURL_CA_BUNDLE (`wirelog env` prints them all).',
  'zh-CN': () =>
    '用 `wirelog run -- <command>` 启动客户端，或设置它的 CA 变量：Codex 用 CODEX_CA_CERTIFICATE，Node 用 NODE_EXTRA_CA_CERTS，Python 用 REQUESTS_CA_BUNDLE / SSL_CERT_FILE，curl 用 CURL_CA_BUNDLE（`wirelog env` 会全部打印出来）。',
};

/** How a JVM comes to trust it: JAVA_TOOL_OPTIONS (cli/java-env.ts), or the JDK's own trust store. */
const TRUST_IN_JAVA: Words = {
  en: () =>
    'Start it with `wirelog run -- <command>`, or run `eval "$(wirelog env)"` in its shell first: both set JAVA_TOOL_OPTIONS (the proxy properties and -Djavax.net.ssl.trustStore, a PKCS12 store of the system roots plus the wirelog CA), which every JVM reads at start. Or add the CA to the JDK\'s own trust store with keytool: `wirelog ca --install --java`.',
  'zh-CN': () =>
    '用 `wirelog run -- <command>` 启动它，或先在它所在的 shell 里执行 `eval "$(wirelog env)"`：两者都会设置 JAVA_TOOL_OPTIONS（代理参数，以及 -Djavax.net.ssl.trustStore：一个包含系统根证书和 wirelog CA 的 PKCS12 信任库），每个 JVM 启动时都会读取它。也可以用 keytool 把 CA 导入 JDK 自带的信任库：`wirelog ca --install --java`。',
};

export const TEXTS = {
  'repeated-endpoint.doubled': {
    summary: {
      en: (p) =>
        `The URL ends in ${p.doubled}: the client's base_url already ends in ${p.first}, and the client appended ${p.appended} to it.`,
      'zh-CN': (p) =>
        `URL 以 ${p.doubled} 结尾：客户端的 base_url 已经以 ${p.first} 结尾，客户端又在后面加了 ${p.appended}。`,
    },
    fix: {
      en: (p) =>
        `${setBaseUrl('en', p, p.first)}.${p.appended === '/responses' && (p.client === 'codex' || client(p) === 'other') ? ' Codex always appends /responses: it speaks only the Responses API since early 2026 (wire_api = "chat" was removed).' : ''}`,
      'zh-CN': (p) =>
        `${setBaseUrl('zh-CN', p, p.first)}。${p.appended === '/responses' && (p.client === 'codex' || client(p) === 'other') ? 'Codex 总会在后面加 /responses：自 2026 年初起它只支持 Responses API（wire_api = "chat" 已被移除）。' : ''}`,
    },
  },
  'repeated-endpoint.version': {
    summary: {
      en: (p) =>
        `The URL says /${p.version}/${p.version}/: the base_url ends in /${p.version} and the client added /${p.version} again.`,
      'zh-CN': (p) =>
        `URL 里出现了 /${p.version}/${p.version}/：base_url 已经以 /${p.version} 结尾，客户端又加了一次 /${p.version}。`,
    },
    fix: { en: (p) => `${setBaseUrl('en', p, '')}.`, 'zh-CN': (p) => `${setBaseUrl('zh-CN', p, '')}。` },
  },
  'html-answer': {
    summary: {
      en: (p) =>
        `${p.status} with an HTML page from ${p.host}: the base_url points at its website, not at its API (${p.path} is not an API route there).`,
      'zh-CN': (p) =>
        `${p.status}，${p.host} 返回的是 HTML 网页：base_url 指向了它的网站而不是 API（${p.path} 在那里不是 API 路由）。`,
    },
    fix: {
      en: (p) =>
        p.base
          ? `${setBaseUrl('en', p, '')} (the documented API base URL), and let the client add the endpoint.`
          : `Set ${BASE_URL_SETTING[client(p)].en} to the provider's documented API base URL (usually ending in /v1, often under /api), not its website's address.`,
      'zh-CN': (p) =>
        p.base
          ? `${setBaseUrl('zh-CN', p, '')}（文档给出的 API 地址），接口路径交给客户端自己补。`
          : `把${BASE_URL_SETTING[client(p)]['zh-CN']}设成服务商文档给出的 API 地址（通常以 /v1 结尾，常在 /api 下），而不是网站地址。`,
    },
  },
  'unknown-route': {
    summary: {
      en: (p) => `${p.host} has no route ${p.method} ${p.path} ("${p.message}").`,
      'zh-CN': (p) => `${p.host} 上没有 ${p.method} ${p.path} 这个路由（"${p.message}"）。`,
    },
    fix: {
      en: (p) =>
        p.base
          ? `This relay's documented base URL is ${p.documented}: ${setBaseUrl('en', p, '')}, and let the client add the endpoint.`
          : `Check the relay's documented base URL (usually ending in /v1) and set ${BASE_URL_SETTING[client(p)].en} to it, without the endpoint path.`,
      'zh-CN': (p) =>
        p.base
          ? `这个中转站文档给出的地址是 ${p.documented}：${setBaseUrl('zh-CN', p, '')}，接口路径交给客户端自己补。`
          : `查一下中转站文档给出的 API 地址（通常以 /v1 结尾），把${BASE_URL_SETTING[client(p)]['zh-CN']}设成它，不要带接口路径。`,
    },
  },
  'missing-key': {
    summary: {
      en: (p) =>
        `${p.status}: the request carried no API key (no Authorization, x-api-key, api-key or key= parameter), so the provider refused it.`,
      'zh-CN': (p) =>
        `${p.status}：请求里没有 API 密钥（没有 Authorization、x-api-key、api-key 头，也没有 key= 参数），所以被服务商拒绝。`,
    },
    fix: { en: (p) => ATTACH_KEY[client(p)].en(p), 'zh-CN': (p) => ATTACH_KEY[client(p)]['zh-CN'](p) },
  },
  'key-rejected': {
    summary: {
      en: (p) => `${p.status}: the provider rejected the key ${p.key}${quoted.en(p)}.`,
      'zh-CN': (p) => `${p.status}：服务商不认这个密钥 ${p.key}${quoted['zh-CN'](p)}。`,
    },
    fix: {
      en: (p) =>
        `Check that this key (the masked tail tells which) belongs to ${p.host}, is active and has credit; keys of one relay do not work on another.${KEY_SETTING[client(p)].en}`,
      'zh-CN': (p) =>
        `检查这个密钥（看末尾几位）是不是 ${p.host} 的、是否还有效、是否还有额度；一个中转站的令牌不能用在另一个站上。${KEY_SETTING[client(p)]['zh-CN']}`,
    },
  },
  'model-unavailable': {
    summary: {
      en: (p) =>
        `The provider does not offer ${p.model ? `model "${p.model}"` : 'the requested model'} to this key or group ("${p.message}").`,
      'zh-CN': (p) =>
        `服务商没有给这个令牌或分组提供${p.model ? `模型 "${p.model}"` : '所请求的模型'}（"${p.message}"）。`,
    },
    fix: {
      en: (p) =>
        `Use a model id exactly as the provider lists it (GET ${p.origin}/v1/models).${p.listed ? ` This provider listed: ${p.listed}.` : ''}`,
      'zh-CN': (p) =>
        `模型名要和服务商列出的完全一致（GET ${p.origin}/v1/models）。${p.listed ? `这个服务商列出的有：${p.listed}。` : ''}`,
    },
  },
  'model-unavailable.ollama': {
    summary: {
      en: (p) =>
        `Ollama has no model ${p.model ? `"${p.model}"` : 'by that name'} on this machine ("${p.message}"): the model is missing, not the route.`,
      'zh-CN': (p) => `Ollama 本机没有模型 ${p.model ? `"${p.model}"` : ''}（"${p.message}"）：缺的是模型，不是地址。`,
    },
    fix: {
      en: (p) =>
        `Pull it first: ollama pull ${p.model || 'MODEL'} (or use a model that ollama list shows).${p.listed ? ` Installed: ${p.listed}.` : ''}`,
      'zh-CN': (p) =>
        `先拉取模型：ollama pull ${p.model || 'MODEL'}（或改用 ollama list 里已有的模型）。${p.listed ? `已安装：${p.listed}。` : ''}`,
    },
  },
  'model-not-activated': {
    summary: {
      en: (p) =>
        `${p.status}: the account has not activated ${p.model ? `model "${p.model}"` : 'this model'} on ${p.host}${quoted.en(p)}.`,
      'zh-CN': (p) =>
        `${p.status}：账户还没有在 ${p.host} 开通${p.model ? `模型 "${p.model}"` : '这个模型'}（模型未开通）${quoted['zh-CN'](p)}。`,
    },
    fix: {
      en: (p) =>
        `Activate the model in ${p.console || "the provider's console"}, then call it again; no client setting will change this.`,
      'zh-CN': (p) => `到${p.consoleZh || '服务商控制台'}开通这个模型，开通后再调用；改客户端配置没有用。`,
    },
  },
  'rate-limited': {
    summary: {
      en: (p) => `429: rate limited${p.retryAfter ? `, retry after ${p.retryAfter} s` : ''}${quoted.en(p)}.`,
      'zh-CN': (p) =>
        `429：请求太频繁，被限流了${p.retryAfter ? `，${p.retryAfter} 秒后再试` : ''}${quoted['zh-CN'](p)}。`,
    },
    fix: {
      en: (p) => `Slow down or retry later${p.retryAfter ? ` (the provider asks for ${p.retryAfter} s)` : ''}.`,
      'zh-CN': (p) => `降低请求频率或稍后重试${p.retryAfter ? `（服务商要求等 ${p.retryAfter} 秒）` : ''}。`,
    },
  },
  'rate-limited.quota': {
    summary: {
      en: (p) => `429: the account is out of quota or credit ("${p.message}").`,
      'zh-CN': (p) => `429：账户额度或余额已用完（"${p.message}"）。`,
    },
    fix: {
      en: () => 'Top up the account or use another key; retrying will not help.',
      'zh-CN': () => '充值或换一个令牌；重试没有用。',
    },
  },
  'out-of-credit': {
    summary: {
      en: (p) =>
        `${p.status}: ${p.host} refused the call because the account has no credit left (balance or quota used up, or in arrears)${quoted.en(p)}.`,
      'zh-CN': (p) => `${p.status}：${p.host} 拒绝了这次调用，账户余额不足或已欠费${quoted['zh-CN'](p)}。`,
    },
    fix: {
      en: (p) =>
        `Top up the account${topUp('en', p)} or use a key with credit; retrying will not help.${p.afford ? ` Or ask for less: lower max_tokens to at most ${p.afford}${p.requested ? ` (this call asked for ${p.requested})` : ''}.` : ''}`,
      'zh-CN': (p) =>
        `请充值${topUp('zh-CN', p)}，或换一个有余额的令牌；重试没有用。${p.afford ? `也可以少要一点：把 max_tokens 降到 ${p.afford} 以内${p.requested ? `（这次请求了 ${p.requested}）` : ''}。` : ''}`,
    },
  },
  'out-of-credit.account': {
    summary: {
      en: (p) =>
        `${p.status}: ${p.host} refused the call because the account is not in good standing (not active, suspended or in arrears)${quoted.en(p)}.`,
      'zh-CN': (p) =>
        `${p.status}：${p.host} 拒绝了这次调用，账户状态异常（未激活、被暂停或欠费）${quoted['zh-CN'](p)}。`,
    },
    fix: {
      en: (p) =>
        `Check the account in the provider's console: top up if the balance is at or below zero${topUp('en', p)}, finish real-name verification if asked, or contact the provider if it was suspended; the key itself is not the problem, and retrying will not help.`,
      'zh-CN': (p) =>
        `到服务商控制台查看账户状态：余额为零或欠费就充值${topUp('zh-CN', p)}，要求实名认证就先完成认证，被暂停就联系服务商；不是密钥的问题，重试也没有用。`,
    },
  },
  'server-error.provider': {
    summary: {
      en: (p) =>
        `${p.status}: ${p.host}, the provider itself, ${p.overloaded ? 'is overloaded' : 'failed'}${quoted.en(p)}.`,
      'zh-CN': (p) => `${p.status}：服务商 ${p.host} 自己${p.overloaded ? '过载了' : '出错了'}${quoted['zh-CN'](p)}。`,
    },
    fix: {
      en: (p) =>
        p.overloaded
          ? 'Retry with backoff, or use another model for now; nothing in your configuration causes this.'
          : "Retry later; if it persists, check the provider's status page.",
      'zh-CN': (p) =>
        p.overloaded
          ? '稍等后重试（逐步拉长间隔），或先换个模型；这不是你的配置造成的。'
          : '稍后重试；一直失败就去看服务商的状态页。',
    },
  },
  'server-error.upstream': {
    summary: {
      en: (p) => `${p.status} from behind the relay: the model provider it forwards to failed${quoted.en(p)}.`,
      'zh-CN': (p) => `${p.status}，来自中转站背后：它转发到的上游服务商出错了${quoted['zh-CN'](p)}。`,
    },
    fix: {
      en: () => 'Retry, or pick another provider/model on the relay; nothing in your configuration causes this.',
      'zh-CN': () => '重试，或在中转站换个渠道/模型；这不是你的配置造成的。',
    },
  },
  'server-error.relay': {
    summary: {
      en: (p) => `${p.status}: the relay itself failed${quoted.en(p)}.`,
      'zh-CN': (p) => `${p.status}：中转站自己出错了${quoted['zh-CN'](p)}。`,
    },
    fix: {
      en: () => 'Retry later; if it persists, report it to the relay with the time of this call.',
      'zh-CN': () => '稍后重试；一直失败就带上这次调用的时间去找中转站。',
    },
  },
  'request-refused.too-long': {
    summary: {
      en: (p) => `${p.status}: the request is longer than the model takes ("${p.message}").`,
      'zh-CN': (p) => `${p.status}：请求超出了模型能接受的长度（"${p.message}"）。`,
    },
    fix: {
      en: () =>
        'Start a new session or shorten this one (Codex: /compact; Cherry Studio: fewer context messages), or use a model with a longer context window; the same request gets the same answer.',
      'zh-CN': () =>
        '开一个新会话或缩短当前会话（Codex：/compact；Cherry Studio：减少上下文消息数），或换一个上下文更长的模型；同样的请求会得到同样的结果。',
    },
  },
  'request-refused.unsupported': {
    summary: {
      en: (p) => `${p.status}: the provider does not take something this client sent ("${p.message}").`,
      'zh-CN': (p) => `${p.status}：服务商不接受客户端发送的某个参数（"${p.message}"）。`,
    },
    fix: {
      en: () =>
        'Turn off the client setting that sends what the message names (a reasoning effort, temperature on a reasoning model, a tool type), or pick a model that takes it.',
      'zh-CN': () =>
        '关掉客户端里发送该参数的设置（推理强度、推理模型的 temperature、某种工具类型），或换一个支持它的模型。',
    },
  },
  'request-refused': {
    summary: {
      en: (p) => `${p.status}: the provider refused the request as it was sent ("${p.message}").`,
      'zh-CN': (p) => `${p.status}：服务商拒绝了这个请求（"${p.message}"）。`,
    },
    fix: {
      en: () => 'Change what the message names; the same request gets the same answer.',
      'zh-CN': () => '按报错信息修改请求；同样的请求会得到同样的结果。',
    },
  },
  'prompt-blocked': {
    summary: {
      en: (p) => `The provider refused the prompt itself (blockReason ${p.reason}): no answer was generated.`,
      'zh-CN': (p) => `服务商直接拒绝了这个提示词（blockReason ${p.reason}）：没有生成任何回答。`,
    },
    fix: {
      en: (p) =>
        p.reason === 'SAFETY'
          ? "Rephrase the prompt, or relax the request's safetySettings for the category that fired (threshold BLOCK_ONLY_HIGH or BLOCK_NONE); the same prompt gets the same refusal."
          : 'Change the prompt (the block reason says what in it was refused); the same prompt gets the same refusal.',
      'zh-CN': (p) =>
        p.reason === 'SAFETY'
          ? '换个说法，或把请求里被触发类别的 safetySettings 放宽（threshold 设为 BLOCK_ONLY_HIGH 或 BLOCK_NONE）；同样的提示词会被同样拒绝。'
          : '修改提示词（blockReason 说明了哪部分被拒）；同样的提示词会被同样拒绝。',
    },
  },
  'content-filtered.prompt': {
    summary: {
      en: (p) => `${p.status}: the provider's content filter refused the prompt ("${p.message}").`,
      'zh-CN': (p) => `${p.status}：服务商的内容过滤拒绝了这个提示词（"${p.message}"）。`,
    },
    fix: {
      en: () =>
        "Rephrase the prompt (or the conversation before it); on Azure OpenAI the filter is the deployment's (Azure AI Foundry, Guardrails + controls, Content filters). The same prompt gets the same refusal.",
      'zh-CN': () =>
        '换个说法（或改前面的对话）；Azure OpenAI 的过滤规则在部署上（Azure AI Foundry → Guardrails + controls → Content filters）。同样的提示词会被同样拒绝。',
    },
  },
  'content-filtered.answer': {
    summary: {
      en: (p) =>
        `The provider stopped the answer with finish reason ${p.finish}: its ${p.finish === 'refusal' ? 'model declined to go on' : /RECITATION/.test(p.finish) ? 'answer was reciting a source word for word' : 'content filter fired'}, and what arrived is partial.${p.details ? ` It says: "${p.details}".` : ''}`,
      'zh-CN': (p) =>
        `服务商以 finish reason ${p.finish} 结束了回答：${p.finish === 'refusal' ? '模型拒绝继续' : /RECITATION/.test(p.finish) ? '回答在逐字复述某个来源' : '触发了内容过滤'}，收到的只是一部分。${p.details ? `服务商的说明："${p.details}"。` : ''}`,
    },
    fix: {
      en: (p) =>
        p.finish === 'content_filter'
          ? "Rephrase the prompt; on Azure OpenAI the filter is the deployment's (Azure AI Foundry, Content filters)."
          : p.finish === 'refusal'
            ? 'Rephrase the request; the same conversation is likely to be declined again.'
            : /RECITATION/.test(p.finish)
              ? 'Ask for the content in other words (a summary, not the text itself); no setting turns this check off.'
              : "Rephrase the prompt, or relax the request's safetySettings for the category that fired.",
      'zh-CN': (p) =>
        p.finish === 'content_filter'
          ? '换个说法；Azure OpenAI 的过滤规则在部署上（Azure AI Foundry → Content filters）。'
          : p.finish === 'refusal'
            ? '换个说法；同样的对话很可能再次被拒绝。'
            : /RECITATION/.test(p.finish)
              ? '换个要法（让它概括，而不是原文照搬）；这项检查没有开关可关。'
              : '换个说法，或放宽请求里被触发类别的 safetySettings。',
    },
  },
  'output-limit.context': {
    summary: {
      en: (p) =>
        `The answer stopped${p.output ? ` after ${p.output} output tokens` : ''} because the conversation filled the model's context window (stop reason ${p.finish}).`,
      'zh-CN': (p) =>
        `回答${p.output ? `在输出 ${p.output} 个 token 后` : ''}停止了：对话占满了模型的上下文窗口（stop reason ${p.finish}）。`,
    },
    fix: {
      en: () =>
        'Start a new session or shorten this one (Codex: /compact), or use a model with a longer context window.',
      'zh-CN': () => '开一个新会话或缩短当前会话（Codex：/compact），或换一个上下文更长的模型。',
    },
  },
  'output-limit': {
    summary: {
      en: (p) =>
        `The answer stopped at the output token limit${p.output ? ` after ${p.output} output tokens` : ''} (finish reason ${p.finish}): it is cut, not finished.`,
      'zh-CN': (p) =>
        `回答${p.output ? `在输出 ${p.output} 个 token 后` : ''}达到了输出 token 上限（finish reason ${p.finish}）：是被截断的，不是说完了。`,
    },
    fix: {
      en: (p) =>
        `Raise the client's output limit (max_tokens or max_completion_tokens for Chat Completions, max_output_tokens for the Responses API, max_tokens for Anthropic, generationConfig.maxOutputTokens for Gemini)${p.raised ? `, to ${p.raised} for instance` : ''}, or ask for less; a reasoning model spends part of it thinking.`,
      'zh-CN': (p) =>
        `调高客户端的输出上限（Chat Completions 用 max_tokens 或 max_completion_tokens，Responses API 用 max_output_tokens，Anthropic 用 max_tokens，Gemini 用 generationConfig.maxOutputTokens）${p.raised ? `，比如调到 ${p.raised}` : ''}，或少要一点；推理模型会把一部分花在思考上。`,
    },
  },
  'websocket-fallback': {
    summary: {
      en: (p) => `The WebSocket to ${p.path} was refused (${p.status}) and the client fell back to HTTP: harmless.`,
      'zh-CN': (p) => `到 ${p.path} 的 WebSocket 被拒绝（${p.status}），客户端改用了 HTTP：无害。`,
    },
    fix: {
      en: () =>
        'Codex tries a WebSocket first when its provider sets supports_websockets = true; set it to false (or remove it) for this provider to skip the attempt.',
      'zh-CN': () =>
        '服务商设置了 supports_websockets = true 时 Codex 会先尝试 WebSocket；把它设为 false（或删掉）即可跳过这次尝试。',
    },
  },
  'untrusted-ca': {
    summary: {
      en: (p) =>
        `A client closed its TLS handshake with wirelog for ${p.host}: it does not trust the wirelog CA (Codex then prints "Reconnecting... waiting for network").`,
      'zh-CN': (p) =>
        `有客户端中断了与 wirelog 之间到 ${p.host} 的 TLS 握手：它不信任 wirelog 的 CA（Codex 此时会显示 "Reconnecting... waiting for network"）。`,
    },
    fix: TRUST_BY_VARIABLE,
  },
  'untrusted-ca.java': {
    summary: {
      en: (p) =>
        `A Java client (${p.client}) closed its TLS handshake with wirelog for ${p.host}: the JVM does not trust the wirelog CA (Java reads neither HTTPS_PROXY nor the CA variables other clients read).`,
      'zh-CN': (p) =>
        `有 Java 客户端（${p.client}）中断了与 wirelog 之间到 ${p.host} 的 TLS 握手：JVM 不信任 wirelog 的 CA（Java 既不读 HTTPS_PROXY，也不读其他客户端用的 CA 变量）。`,
    },
    fix: TRUST_IN_JAVA,
  },
  'untrusted-ca.either': {
    summary: {
      en: (p) =>
        `A client closed its TLS handshake with wirelog for ${p.host}: it does not trust the wirelog CA. What was captured does not tell which client it was: ${p.ua ? `its CONNECT's User-Agent "${p.ua}" is not one wirelog knows` : 'its CONNECT carried no User-Agent'}, and ${p.alert ? `the TLS alert it sent, ${p.alert}, is the one the JDK sends, but not only the JDK` : "it sent no TLS alert (the JDK's HttpClient, like Node clients, closes without one)"}.`,
      'zh-CN': (p) =>
        `有客户端中断了与 wirelog 之间到 ${p.host} 的 TLS 握手：它不信任 wirelog 的 CA。抓到的内容不足以判断是哪个客户端：${p.ua ? `它 CONNECT 请求里的 User-Agent "${p.ua}" 不是 wirelog 认识的` : '它的 CONNECT 请求没有带 User-Agent'}，而且${p.alert ? `它发出的 TLS 告警 ${p.alert} 虽然是 JDK 会发的那种，但不只 JDK 会发` : '它没有发 TLS 告警（JDK 的 HttpClient 和 Node 客户端一样，不发告警直接断开）'}。`,
    },
    fix: {
      en: (p) => `If it is a Java program: ${TRUST_IN_JAVA.en(p)} Otherwise: ${TRUST_BY_VARIABLE.en(p)}`,
      'zh-CN': (p) => `如果是 Java 程序：${TRUST_IN_JAVA['zh-CN'](p)}否则：${TRUST_BY_VARIABLE['zh-CN'](p)}`,
    },
  },
  'stream-error': {
    summary: {
      en: (p) =>
        p.streamed
          ? `The stream began with ${p.began} and then failed: ${innerSummary('en', p)}`
          : `The answer came with status ${p.began} but is an error: ${innerSummary('en', p)}`,
      'zh-CN': (p) =>
        p.streamed
          ? `流以 ${p.began} 开始，随后出错：${innerSummary('zh-CN', p)}`
          : `响应状态是 ${p.began}，内容却是一个错误：${innerSummary('zh-CN', p)}`,
    },
    fix: {
      en: (p) =>
        innerFix('en', p) ??
        (p.streamed
          ? 'Retry; the provider reported this error in the middle of the stream.'
          : 'Retry; the provider (or the relay in front of it) reported this error with a success status, so clients may not see it as one.'),
      'zh-CN': (p) =>
        innerFix('zh-CN', p) ??
        (p.streamed
          ? '重试；服务商是在流的中途报的这个错。'
          : '重试；服务商（或它前面的中转站）用成功的状态码返回了这个错误，客户端可能不会把它当成错误。'),
    },
  },
  'wrong-protocol': {
    summary: {
      en: (p) =>
        `A client spoke ${PROTOCOL_NAME[protocol(p)].en(p)} to wirelog's port, which takes plain HTTP/1.1: the client is set up for another kind of proxy or server.`,
      'zh-CN': (p) =>
        `有客户端对 wirelog 的端口说了 ${PROTOCOL_NAME[protocol(p)]['zh-CN'](p)}，而这个端口只接受明文 HTTP/1.1：客户端被配置成了另一种代理或服务器。`,
    },
    fix: { en: (p) => PROTOCOL_FIX[protocol(p)].en(p), 'zh-CN': (p) => PROTOCOL_FIX[protocol(p)]['zh-CN'](p) },
  },
  // kind: 'body' for an answer not streamed whose JSON stopped partway; 'done' for a Chat
  // Completions stream closed with [DONE] while its answer had no finish_reason; else a stream.
  'truncated-stream': {
    summary: {
      en: (p) =>
        p.kind === 'done'
          ? 'The stream was closed with data: [DONE], but the answer never got its finish_reason: the relay lost the provider partway and closed the stream as if it had finished.'
          : p.kind === 'body'
            ? `The answer stopped before its JSON body ended: ${CUT_BY[cutBy(p)].en}.`
            : `The stream stopped before its terminal event: ${CUT_BY[cutBy(p)].en}.`,
      'zh-CN': (p) =>
        p.kind === 'done'
          ? '流以 data: [DONE] 关闭了，但回答一直没有 finish_reason：中转站中途和服务商断开了，却像正常结束一样关闭了流。'
          : p.kind === 'body'
            ? `回答的 JSON 正文还没传完就断了：${CUT_BY[cutBy(p)]['zh-CN']}。`
            : `流在结束事件之前就断了：${CUT_BY[cutBy(p)]['zh-CN']}。`,
    },
    fix: {
      en: (p) =>
        p.state === 'aborted'
          ? "Check the client's timeout (a long reasoning pause can exceed it) and its logs."
          : p.kind === 'body'
            ? 'Retry; if it happens often with this relay, the relay drops long answers (try another route or a shorter max output).'
            : 'Retry; if it happens often with this relay, the relay drops long streams (try another route or a shorter max output).',
      'zh-CN': (p) =>
        p.state === 'aborted'
          ? '检查客户端的超时设置（推理时长时间的停顿可能超过它）和它的日志。'
          : p.kind === 'body'
            ? '重试；如果这个中转站经常这样，说明它会掐断长的回答（换个渠道，或把最大输出调小）。'
            : '重试；如果这个中转站经常这样，说明它会掐断长时间的流（换个渠道，或把最大输出调小）。',
    },
  },
  undelivered: {
    summary: {
      en: (p) => UNDELIVERED_WHY[undeliveredKind(p)].en(p),
      'zh-CN': (p) => UNDELIVERED_WHY[undeliveredKind(p)]['zh-CN'](p),
    },
    fix: {
      en: (p) => UNDELIVERED_FIX[undeliveredKind(p)].en(p),
      'zh-CN': (p) => UNDELIVERED_FIX[undeliveredKind(p)]['zh-CN'](p),
    },
  },
} satisfies Record<string, RuleText>;

export type MessageId = keyof typeof TEXTS;

/** A diagnosis as data: its message id and parameters (what llm/diagnose.ts puts in `message`). */
export interface DiagnosisMessage {
  id: string;
  params: Params;
}

/**
 * A diagnosis's words in one language, from its message, or from what the list's column holds:
 * the message as JSON (stored since the list speaks both languages), or the English summary an
 * older wirelog stored, read as it is.
 */
export function renderDiagnosis(stored: DiagnosisMessage | string, lang: Lang): { summary: string; fix: string } {
  const message = typeof stored === 'string' ? storedMessage(stored) : stored;
  if (!message) return { summary: stored as string, fix: '' };
  const text = textOf(message.id);
  // A message id this wirelog does not know (written by a newer one): its parameters are all there is.
  if (!text) return { summary: message.params.message || message.id, fix: '' };
  // A parameter left out of the stored JSON (it was empty) reads as ''.
  const params = new Proxy(message.params, {
    get: (target, key) => (typeof key === 'string' ? (target[key] ?? '') : undefined),
  });
  return { summary: text.summary[lang](params), fix: text.fix[lang](params) };
}

/** The message a stored diagnosis holds; null for an older row's English text (or a JSON cut short). */
export function storedMessage(stored: string): DiagnosisMessage | null {
  if (!stored.startsWith('{"id":')) return null;
  try {
    const parsed = JSON.parse(stored) as { id?: unknown; params?: unknown };
    if (typeof parsed.id !== 'string' || typeof parsed.params !== 'object' || parsed.params === null) return null;
    const params: Params = {};
    for (const [key, value] of Object.entries(parsed.params))
      params[key] = typeof value === 'string' ? value : String(value);
    return { id: parsed.id, params };
  } catch {
    return null;
  }
}

/**
 * What the list's diagnosis column keeps: the message id and parameters as JSON, within `max`
 * characters (the list reads that many), the longest parameters shortened to fit (a provider's
 * message is the long one); the English summary for a diagnosis said without a message.
 */
export function storedDiagnosisText(diagnosis: { summary: string; message?: DiagnosisMessage }, max: number): string {
  if (!diagnosis.message) return diagnosis.summary.slice(0, max);
  // Empty parameters read back as '' when absent: left out, the column holds more of the others.
  const params = Object.fromEntries(
    Object.entries(diagnosis.message.params).filter(([, value]) => value !== ''),
  ) as Params;
  const json = () => JSON.stringify({ id: diagnosis.message!.id, params });
  for (let text = json(); text.length > max; text = json()) {
    const [key, value] = Object.entries(params).sort((a, b) => b[1].length - a[1].length)[0] ?? [];
    // Nothing left to shorten: the words, as the list shows them.
    if (key === undefined || value.length <= 1) return renderDiagnosis(diagnosis.message, 'en').summary.slice(0, max);
    params[key] = `${[...value].slice(0, Math.max(0, [...value].length - (text.length - max) - 1)).join('')}…`;
  }
  return json();
}

/**
 * The list's diagnosis as read from its column: the English summary (what `wirelog list`, HAR
 * and OTLP show), with the message when the column holds one so a screen renders it in its
 * own language. `max`: the summary is clipped to this many characters (the list's bound).
 */
export function diagnosisOfColumn<S extends string>(
  severity: S,
  stored: string,
  max?: number,
): { severity: S; summary: string; message?: DiagnosisMessage } {
  const message = storedMessage(stored);
  const summary = message ? renderDiagnosis(message, 'en').summary : stored;
  return { severity, summary: max === undefined ? summary : clipped(summary, max), ...(message ? { message } : {}) };
}
