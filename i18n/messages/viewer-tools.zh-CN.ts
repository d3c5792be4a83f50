// 查看器里的小工具（issue 30「查看器看起来要像成品」）：请求体/响应体、请求头和修复给出的配置块上的
// 复制按钮，以及列表和详情之间的分隔条（英文版见 viewer-tools.en.ts）。
import type { viewerToolsEn } from './viewer-tools.en.ts';
import type { Shape } from './shape.ts';

export const viewerToolsZhCN: Shape<typeof viewerToolsEn> = {
  copy: '复制',
  copied: '已复制',
  copyFailed: '浏览器不让写剪贴板：请手动选中文本复制',
  copyBody: '复制内容',
  copyBodyTitle: '按收到的原样复制（已解压），和「原文」视图里显示的一致',
  copyBase64: '复制 Base64',
  copyHeaders: '全部复制',
  copyHeadersTitle: '按「名称: 值」每行一个，复制全部头部字段',
  copyHeaderLine: '复制这一行：「{{name}}: …」',
  copyToml: '复制配置',
  copyAddress: '复制地址',
  resizePanes: '列表宽度：拖动，或用方向键调整（Home、End 到两端）',
};
