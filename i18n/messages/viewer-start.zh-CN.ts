// 查看器的启动（issue 28「一百万条记录时列表首屏」）：代码按需分块加载，某一块加载失败时要说清楚
// （英文版见 viewer-start.en.ts）。
import type { viewerStartEn } from './viewer-start.en.ts';
import type { Shape } from './shape.ts';

export const viewerStartZhCN: Shape<typeof viewerStartEn> = {
  codeNotLoaded: '查看器有一部分代码没加载上（{{error}}）：多半是打开这个页面之后 wirelog 升级或重启过。请刷新页面。',
};
