// 简体中文：写给在中国用 Codex、Cherry Studio 接中转站的开发者，用他们自己的说法
// （中转站、令牌、渠道、分组、额度、余额），不逐字直译。
import type { Messages } from './en.ts';

export const zhCN: Messages = {
  language: {
    name: '简体中文',
    switch: '语言',
  },
  topbar: {
    retention: '最多保留 {{mb}} MB，超出时先删最早的',
    retentionDays: '最多保留 {{mb}} MB、{{days}} 天，超出时先删最早的',
    exportHar: '导出 HAR',
    importHar: '导入 HAR',
    importHint: 'Chrome 开发者工具、Playwright、mitmproxy 或 wirelog 导出的 HAR；也可以直接拖到页面上',
    clearAll: '全部清空',
  },
};
