// 工程师 QA 的文案：查看器导出 HAR 时工作线程中途失败、搜索索引在等待、存储线程拒收格式不对的批次。
// 英文版见 qa.en.ts。
import type { qaEn } from './qa.en.ts';
import type { Shape } from './shape.ts';

export const qaZhCN: Shape<typeof qaEn> = {
  harExport: {
    failed:
      'wirelog：HAR 导出失败：{{reason}}。这个文件不完整：请重新导出，或运行 `wirelog export --har 文件名` 查看错误详情。',
    stopped: 'wirelog：HAR 导出没写完就停止了（退出码 {{code}}）。这个文件不完整：请重新导出。',
  },
  searchWaiting: {
    count: '{{count}} 条请求的搜索索引暂缓，稍后重试：{{error}}',
    stored: '已存储请求的搜索索引暂缓，稍后重试：{{error}}',
  },
  malformedBatch: '存储线程收到的一批抓包数据格式不对：引用了载荷的第 {{from}}-{{to}} 字节，但载荷只有 {{size}} 字节',
};
