// 抓包列表里为调试 Agent 加的列（ExchangeList.tsx）：发请求的客户端、所属会话、失败原因、费用、排序、命中条数（英文版见 list-view.en.ts）。
import type { ListViewMessages } from './list-view.en.ts';
import type { Shape } from './shape.ts';

export const listViewZhCN: Shape<ListViewMessages> = {
  client: '客户端',
  clientTitle: '发出请求的应用，根据 User-Agent 和客户端请求头识别',
  session: '会话',
  sessionTitle: '会话 {{key}}：点击只看这个会话的调用',
  cost: '费用',
  costTitle: '这次调用的费用：服务商自己给的数，带 ~ 的是按价格表估算的，算不出来时说明原因',
  reason: '状态 / 原因',
  tokensTitle: '输入/输出 token 数，以服务商返回的为准，+ 后面是缓存命中：点“输入”或“输出”按它排序',
  tokensIn: '输入',
  tokensInTitle: '输入 token 数',
  tokensOut: '输出',
  tokensOutTitle: '输出 token 数',
  timeTitle: '开始时间，最新的在前',
  sizeTitle: '响应大小',
  sortedBy: '按{{what}}从大到小排序：再点一次恢复按时间倒序',
  sortLabel: '列表排序',
  newestFirst: '最新的在前',
  sortBy: {
    time: '按开始时间',
    tokens_in: '按输入 token 数',
    tokens_out: '按输出 token 数',
    ttft: '按首字延迟',
    duration: '按耗时',
    size: '按响应大小',
  },
  count_one: '共 {{formatted}} 条',
  count_other: '共 {{formatted}} 条',
  countShown: '共 {{count}} 条，已加载 {{shown}} 条',
};
