// 存储状态变化时控制台说的话（db/storage-news.ts）：落后了、追上了、为了控制内存开始少存内容及原因、不再少存。每次变化一行。
import type { StorageNewsMessages } from './storage-news.en.ts';

export const storageNewsZhCN: StorageNewsMessages = {
  behind:
    '存储跟不上了：{{exchanges}} 条已结束的请求还没写入，最早的一条等了 {{seconds}} 秒；列表里会晚一点出现（追上之前不会丢）',
  caughtUp: '存储已经追上（最多落后 {{exchanges}} 条 / {{seconds}} 秒）',
  leaving:
    '为了控制内存，存储开始少存一部分内容，原因：{{why}}；受影响的每条请求都会在备注里写明，流量本身照常完整转发',
  stoppedLeaving:
    '存储不再少存内容：这期间整条没存的请求 {{exchanges}} 条，没存的 SSE 事件或 WebSocket 消息 {{events}} 条，共 {{bytes}} 字节，另有 {{bodies}} 个 body 只存了前面一部分',
  why: {
    failing: '存储出错了',
    noRoom: '存储连续 {{seconds}} 秒没有空间接收更多 body 字节',
    fellBehind: '存储落后了超过 {{size}} 的抓包数据',
    failingTooLong: '存储出错太久了',
  },
};
