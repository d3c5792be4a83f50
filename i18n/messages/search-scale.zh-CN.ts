// 百万级搜索：计数到上限就停，总数说成下限。中文界面里"共 10,000+ 条"是常见写法（"10,000 以上"放进"共…条"会读不通）。
import type { SearchScaleMessages } from './search-scale.en.ts';

export const searchScaleZhCN: SearchScaleMessages = {
  atLeast: '{{count}}+',
  cli: {
    help: '  --search 关键词：只列出文本里包含全部关键词的请求（和查看器的搜索框一样），并给出匹配总数',
    matches_one: '共 {{formatted}} 条请求匹配“{{search}}”',
    matches_other: '共 {{formatted}} 条请求匹配“{{search}}”',
  },
};
