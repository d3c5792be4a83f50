// 搜索索引：升级或崩溃之后从已存的请求重建索引时控制台说的话、查看器里的进度（/api/status），以及搜索没有结果时的提示。
import type { SearchIndexMessages } from './search-index.en.ts';

export const searchIndexZhCN: SearchIndexMessages = {
  console: {
    building:
      '搜索索引：已存的 {{count}} 条请求还没建索引（现在连成段的中文、请求头、SSE 事件和 WebSocket 消息也能搜到了），正在后台从最新的开始建。建完之前只能搜到已建索引的部分',
    built: '搜索索引：{{count}} 条请求的索引已建好，用时 {{seconds}} 秒，现在全部都能搜到',
    failing: '搜索索引：建索引暂时失败，稍后会重试：{{error}}',
  },
  status: '搜索索引正在重建：已完成 {{indexed}} / {{total}} 条，完成之前只能搜到这些。',
  noMatches: '无结果',
};
