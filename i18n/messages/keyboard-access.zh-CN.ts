// 查看器的控件都能用键盘操作之后显示的文字（issue 30：修好的无障碍问题）。英文版见 keyboard-access.en.ts。
import type { keyboardAccessEn } from './keyboard-access.en.ts';
import type { Shape } from './shape.ts';

export const keyboardAccessZhCN: Shape<typeof keyboardAccessEn> = {
  eventAsText: '收起为文本',
  eventAsTextTitle: '重新以格式化文本显示这条事件',
};
