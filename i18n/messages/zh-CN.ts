// 简体中文：写给在中国用 Codex、Cherry Studio 接中转站的开发者，用他们自己的说法
// （中转站、令牌、渠道、分组、额度、余额），不逐字直译。
import type { Messages } from './en.ts';

export const zhCN: Messages = {
  language: {
    name: '简体中文',
    switch: '语言',
  },
  cli: {
    usage: `wirelog {{version}}：看清你的 AI 工具到底给模型服务商（中转站）发了什么、收到了什么

  wirelog [start]          启动代理（127.0.0.1:8899）和查看器（http://127.0.0.1:8900）
  wirelog run -- CMD ...   运行一个命令，抓下它的全部请求
  wirelog env              打印当前 shell 要设置的代理和 CA 环境变量
  wirelog url BASE_URL     把客户端的 base URL 改写成网关形式（不用设代理，不用装 CA）
  wirelog ca               查看 CA 证书，以及如何信任它
  wirelog list             最近的请求
  wirelog export --har F   把抓到的请求导出为 HAR
  wirelog import F.har     导入 HAR（Chrome、Playwright、mitmproxy 导出的都行）
  wirelog doctor           最近的调用哪里出了错，该怎么改
  wirelog replay ID        重放一次抓到的调用（可编辑，或套用修复）
  wirelog codex-config ID  用一次成功的调用生成 Codex 的 provider 配置

wirelog 命令 --help 查看参数；--lang en|zh-CN（或 WIRELOG_LANG）切换语言。`,
    unknownCommand: '没有 "{{name}}" 这个命令（可用命令：{{commands}}；见 wirelog --help）',
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
