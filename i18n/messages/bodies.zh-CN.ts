// 大请求/响应体与存储截断的文案（英文版见 bodies.en.ts）。
import type { bigBodyEn } from './bodies.en.ts';

export const bigBodyZhCN: { [K in keyof typeof bigBodyEn]: string } = {
  pretty: '格式化',
  download: '下载',
  expand: '展开',
  collapse: '收起',
  close: '关闭',
  indenting: '正在格式化…已有 {{rows}} 行',
  base64Run: 'base64 数据，{{size}}',
  typedRun: '{{mime}}，{{size}}',
  floats_one: '{{count}} 个浮点数',
  floats_other: '{{count}} 个浮点数',
  moreChars: '再显示 {{count}} 个字符',
  tooLarge: '这个 body 有 {{size}}，太大了，这里不完整显示：只显示前 {{shown}}，点「下载」可保存全部内容。',
  cutByStorage: '存储时被截断：{{size}} 中只保存了 {{stored}}。客户端收到的是完整内容。原因：',
  eventsCapped: '只显示最后 {{shown}} 个事件（共 {{count}} 个）。',
  cutIds: '被截断的请求：',
};
