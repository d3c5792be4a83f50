// `wirelog run -- <agent>`（issue 29）：为认识的 Agent 选哪种抓包方式，一行说明原因；--explain、--mode；
// 目标在本机时的提示（英文版见 launch.en.ts）。变量名、配置键、参数、URL 和 Agent 名称原样保留。
import type { LaunchMessages } from './launch.en.ts';
import type { Shape } from './shape.ts';

export const launchZhCN: Shape<LaunchMessages> = {
  help: `  --mode proxy|gateway  抓包方式；默认由 wirelog 按认识的 Agent（codex、claude、gemini、qwen、kimi、
                    opencode、aider）自动选择：Agent 认代理和 CA 的走代理，否则通过 Agent 自己的 base URL 变量或
                    配置覆盖走 wirelog 的网关，上游仍是它原本要请求的地址；其他命令一律走代理
  --explain         只打印会设置什么（每行一个 NAME=value，密钥已打码；配置覆盖是 -c / --settings 行）
                    以及原因，然后退出，不运行任何东西`,
  badMode: '--mode 只能是 proxy 或 gateway，不能是 "{{value}}"',
  gatewayUnknown:
    'wirelog 不知道 {{command}} 从哪里读取 base URL：用 --mode proxy（默认）运行，或者自己把它的 base URL 改成 `wirelog url BASE_URL` 打印的网关地址',
  gatewayImpossible: '{{agent}} 在这种情况下没法走网关（{{why}}）：去掉 --mode gateway 即可',
  noUpstream: '{{agent}} 没有可读取的 base URL，也没有默认值：先在它的配置里设置，或者用 --mode proxy 运行',
  configUnreadable:
    '读不了 {{file}}（Agent 自己也会读它）：{{error}}；请修好这个文件，或者用 --mode proxy 运行（不会读它）',
  baseUrlEndpoint:
    '{{agent}} 的 base URL {{value}} 以 {{segment}} 结尾，这是接口路径：{{agent}} 还会在后面拼自己的接口路径，中转站会回 404；把 base URL 改成 {{fixed}}',
  baseUrlRepeated: '{{agent}} 的 base URL {{value}} 里 {{segment}} 出现了两次：中转站会回 404；把它改成 {{fixed}}',
  explainPrivate:
    '{{dataDir}} 上没有正在运行的 wirelog：`wirelog run` 会临时起一个私有实例，端口随机；下面按 `wirelog start` 的监听地址 {{proxyUrl}} 来写',
  loopback:
    '{{url}} 在本机上，不少客户端（Go、Chromium、部分 Python 库）访问本机地址时会绕过代理直连：如果什么都没抓到，改用网关地址 {{gateway}}',
  loopbackNoGateway:
    '{{url}} 在本机上，不少客户端（Go、Chromium、部分 Python 库）访问本机地址时会绕过代理直连：如果什么都没抓到，把客户端指向 wirelog 的网关（`wirelog url {{url}}`）',
  from: {
    env: '环境变量 {{name}}',
    file: '{{file}} 里的 {{name}}',
    default: '默认地址',
  },
  why: {
    generic: '{{command}} 不是 wirelog 认识的 Agent：设置全部代理和 CA 变量（Node、Python、curl、Go、Rust 程序都认）',
    forced: '按 --mode 的要求，{{agent}} 走 {{mode}}',
    gatewayNotLocal: '{{agent}}：走代理，因为正在运行的 wirelog 监听的不只是本机，网关需要令牌',
    codex: {
      chatgpt:
        'Codex 用 ChatGPT 账号登录，请求 {{upstream}}，这个地址没有配置项能改：走代理，CA 放在 CODEX_CA_CERTIFICATE（Codex 认 HTTPS_PROXY）',
      openai:
        'Codex 用 OpenAI API Key，请求 {{upstream}}（来自{{from}}）：走代理，CA 放在 CODEX_CA_CERTIFICATE（Codex 认 HTTPS_PROXY）',
      'built-in': 'Codex 用内置的 {{provider}} 渠道：走代理（Codex 认 HTTPS_PROXY，本机地址也一样）',
      custom:
        'Codex 的 {{provider}} 渠道请求 {{upstream}}（来自{{from}}）：通过 -c model_providers.{{provider}}.base_url 走 wirelog 的网关，不需要 CA；config.toml 原样不动',
    },
    claude: {
      anthropic:
        'Claude Code 请求 {{upstream}}（来自{{from}}）：通过 {{variables}} 走 wirelog 的网关，不需要 CA；它的 settings 文件原样不动',
      bedrock:
        'Claude Code 用 Bedrock API Key，请求 {{upstream}}（来自{{from}}）：通过 {{variables}} 走 wirelog 的网关',
      'bedrock-sigv4':
        'Claude Code 走 Bedrock 时每个请求都按目标主机做 AWS SigV4 签名，换成网关地址签名就对不上了：走代理，CA 放在 NODE_EXTRA_CA_CERTS',
      vertex: 'Claude Code 走 Vertex AI，请求 {{upstream}}（来自{{from}}）：通过 {{variables}} 走 wirelog 的网关',
    },
    gemini: {
      'api-key':
        'Gemini CLI 用 API Key，请求 {{upstream}}（来自{{from}}）：通过 {{variables}} 走 wirelog 的网关，不需要 CA',
      vertex: 'Gemini CLI 走 Vertex AI，请求 {{upstream}}（来自{{from}}）：通过 {{variables}} 走 wirelog 的网关',
      oauth:
        'Gemini CLI 用 Google 账号登录，请求的是 Code Assist，没有 base URL 配置能改：走代理，CA 放在 NODE_EXTRA_CA_CERTS',
    },
    qwen: {
      openai: 'Qwen Code 用 OpenAI 兼容的 Key，请求 {{upstream}}（来自{{from}}）：通过 {{variables}} 走 wirelog 的网关',
      oauth: 'Qwen Code 用 Qwen OAuth 登录：走代理，CA 放在 NODE_EXTRA_CA_CERTS',
    },
    kimi: {
      kimi: 'Kimi CLI 请求 {{upstream}}（来自{{from}}）：通过 {{variables}} 走 wirelog 的网关',
      openai: 'Kimi CLI 用 OpenAI 兼容的渠道，请求 {{upstream}}（来自{{from}}）：通过 {{variables}} 走 wirelog 的网关',
      other: 'Kimi CLI 用的渠道没有环境变量能覆盖：走代理，CA 证书包放在 SSL_CERT_FILE',
    },
    opencode: {
      any: 'OpenCode 在 opencode.json 里给每个渠道各配一个 base URL：走代理，CA 放在 NODE_EXTRA_CA_CERTS（Bun 认 HTTPS_PROXY）',
    },
    aider: {
      any: 'aider 是 Python 程序（litellm，底层 httpx）：和其他 Python 脚本一样走代理，用 CA 证书包',
    },
  },
};
