// `wirelog export --har` 在自己的线程上运行（export/har-export-thread.ts），这个线程没写完 HAR
// 就停下时命令行给出的提示。英文版见 har-export.en.ts。
import type { harExportEn } from './har-export.en.ts';
import type { Shape } from './shape.ts';

export const harExportZhCN: Shape<typeof harExportEn> = {
  stopped: 'HAR 导出没写完就停止了（退出码 {{code}}）：{{file}} 不完整',
  failed: 'HAR 导出失败：{{reason}}；{{file}} 不完整',
};
