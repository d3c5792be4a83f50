// 模型调用里的图片，以及列表里“返回了图片”的标记（英文版见 images.en.ts）。
import type { imagesEn } from './images.en.ts';
import type { Shape } from './shape.ts';

export const imagesZhCN: Shape<typeof imagesEn> = {
  sent_one: '发送了 {{count}} 张图片',
  sent_other: '发送了 {{count}} 张图片',
  returned_one: '返回了 {{count}} 张图片',
  returned_other: '返回了 {{count}} 张图片',
  listMark_one: '返回了 {{count}} 张图片',
  listMark_other: '返回了 {{count}} 张图片',
  holder: {
    message: '第 {{index}} 条消息',
    input: '第 {{index}} 个 input 项',
    content: '第 {{index}} 个 content',
    choice: '第 {{index}} 个 choice',
    candidate: '第 {{index}} 个 candidate',
    output: '第 {{index}} 个 output 项',
    image: '第 {{index}} 张图片',
  },
  part: '第 {{part}} 个 part',
  event: '事件 #{{seq}}',
  message: 'WebSocket 消息 #{{seq}}',
  partial: '中间预览图 {{index}}',
  thought: '草图（思考过程中画的）',
  declared: '声明的类型是 <type/>',
  unknownType: '查看器不直接显示这种图片格式（支持 PNG、JPEG、GIF、WebP、BMP、AVIF），下载后再看',
  open: '查看原图：{{type}}，{{size}}',
  alt: '{{type}} 图片，{{size}}',
  close: '关闭',
  download: '下载',
  decoding: '解码中…',
  missing: '没能从存下来的数据里读出这张图片（{{why}}）：存储时被截断的响应体里没有完整的图片。',
  why: {
    notText: '存的不是文本',
    notJson: '不是完整的 JSON',
    notThere: '调用里说的位置上没有数据',
    notBase64: '不是 base64',
  },
  link: '在服务商那里打开这张图片',
  linkNote: '以链接形式返回：wirelog 不会去下载它；OpenAI 的这类链接在图片生成后 60 分钟内有效',
  revisedPrompt: '按改写后的提示词生成：<prompt/>',
  readFailed: '没能从 wirelog 读到这张图片：<error/>。wirelog 还在运行吗？',
};
