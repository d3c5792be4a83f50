// 令牌用量、缓存和费用：`wirelog usage` 以及查看器里单次调用的费用。参数、字段名、价格表名称和美元数值原样保留。
import type { UsageMessages } from './usage.en.ts';
import type { Shape } from './shape.ts';

export const usageZhCN: Shape<UsageMessages> = {
  help: `wirelog usage [--by session|model|host|day] [--since ISO] [--json|--csv] [--data-dir DIR]
统计抓到的模型调用用了多少 token、命中多少缓存、花了多少钱，按会话（默认）、模型、主机或日期（本地时间）汇总。
  --since ISO   只算这个时间之后开始的调用（2026-11-24 或 2026-11-24T10:00:00Z）
  --json        每组一个对象：key、calls、inputTokens、outputTokens、cacheReadTokens、cacheWriteTokens、
                reasoningTokens（null：没有上报）、cost（美元，或 null）、costSource（provider、estimated、unknown）
  --csv         同样的字段，逗号分隔，第一行是表头
token 数都是服务商自己上报的；费用优先用服务商给的（如 OpenRouter），否则按 {{table}}（{{date}} 的价格）估算，
再否则记为未知（中转站有自己的价格和分组倍率；价格表里没有的模型）。一组里只要有一次调用费用未知，cost 就是 null。`,
  errors: {
    by: '--by 只能是 session、model、host 或 day，不能是 "{{value}}"',
    since: '--since 要写成 ISO 时间，如 2026-11-24 或 2026-11-24T10:00:00Z，而不是 "{{value}}"',
    format: '--json 和 --csv 是两种输出格式：只能选一个',
    unknownFlag: 'wirelog usage 没有 {{flag}} 这个参数（见 `wirelog usage --help`）',
    needsValue: '{{flag}} 后面要跟一个值（见 `wirelog usage --help`）',
    takesNoValue: '{{flag}} 后面不跟值（见 `wirelog usage --help`）',
    positional: 'wirelog usage 只接受参数，不接受 "{{arg}}"（见 `wirelog usage --help`）',
    noDatabase:
      '{{dir}} 里还没有抓包记录：先启动 wirelog（`wirelog start`）并让流量经过它，或用 --data-dir 指向正确的目录',
  },
  table: {
    title: {
      session: '模型调用（按会话）',
      model: '模型调用（按模型）',
      host: '模型调用（按主机）',
      day: '模型调用（按天，本地时间）',
    },
    since: '自 {{since}} 起',
    key: {
      session: '会话',
      model: '模型',
      host: '主机',
      day: '日期',
    },
    calls: '次数',
    input: '输入',
    output: '输出',
    cacheRead: '缓存读',
    cacheWrite: '缓存写',
    reasoning: '推理',
    hitRate: '命中',
    cost: '费用',
    noKey: {
      session: '（无会话）',
      model: '（无模型）',
      host: '（无主机）',
      day: '（无日期）',
    },
    total: '合计',
    none: '还没有保存任何模型调用{{since}}',
    legendEstimated: '~ 按 {{table}}（{{date}} 的价格）估算；其余是服务商自己给的数',
    legendUnknown: '? 有 {{count}} 次调用价格未知（中转站，或价格表里没有该模型）：显示的只是已知部分',
    legendNoUsage: '有 {{count}} 次调用没有上报用量（失败或被截断）：计入次数，不计 token',
    legendTokens: '输入按服务商的口径（Anthropic 不含缓存读）；推理 token 仅在有上报时统计',
  },
  badge: {
    label: '费用',
    provider: '${{usd}}',
    providerTitle: '服务商自己给出的本次调用费用',
    estimated: '~${{usd}}',
    estimatedTitle:
      '按 {{table}}（{{date}} 的价格）估算：{{provider}} {{model}}，每百万 token：输入 ${{input}}，输出 ${{output}}，缓存读 ${{cacheRead}}，缓存写 ${{cacheWrite}}{{tiered}}',
    tiered: '（基础价；长提示词按对应档位计价）',
    noRate: '—',
    unknown: '价格未知',
    why: {
      relay: '价格未知：中转站或网关有自己的价格',
      model: '价格未知：价格表里没有这个服务商的这个模型',
      tokens: '价格未知：服务商没有上报（或只上报了部分）token 数',
    },
    hitRate: '缓存命中率',
  },
};
