// `wirelog import` 存下的请求没能解析、建搜索索引或打包时的提示（英文版见 er.en.ts）：每类一行，
// 带条数和第一条的编号，导入没做成的事不会悄无声息。
import type { ImportFailuresMessages } from './er.en.ts';
import type { Shape } from './shape.ts';

export const importFailuresZhCN: Shape<ImportFailuresMessages> = {
  understand:
    '导入的 {{count}} 条请求没能解析成模型调用（第一条 #{{first}}：{{error}}）；请求已完整存储，只是没有模型、token 用量和诊断',
  index:
    '导入的 {{count}} 条请求没能建搜索索引（第一条 #{{first}}：{{error}}）；请求已完整存储，可按编号打开，或在 `wirelog list` 里找到',
  pack: '导入的 {{count}} 条请求的请求体按原样存储，没有拆分打包（第一条 #{{first}}：{{error}}）；内容完整，只是多占些空间',
  capture: '有些请求没能解析或建索引：{{error}}；请求已完整存储',
};
