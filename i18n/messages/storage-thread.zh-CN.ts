// 存储线程（db/writer-worker.ts）挂掉后重新拉起（db/writer.ts）：控制台每次状态变化说一行，期间 /api/status 和横幅显示的存储错误。
import type { StorageThreadMessages } from './storage-thread.en.ts';

export const storageThreadZhCN: StorageThreadMessages = {
  exited: '退出码 {{code}}',
  restarting: '存储线程挂了（{{cause}}），正在重新拉起（第 {{attempt}} / {{max}} 次）；这期间抓到的请求先排队等待写入',
  stopped:
    '存储线程挂了（{{cause}}），{{seconds}} 秒后重新拉起（第 {{attempt}} / {{max}} 次）；这期间抓到的请求先排队，流量照常转发',
  restarted:
    '存储线程已恢复：{{resent}} 条还没写入的请求交给了新线程并已写入；{{cut}} 条挂掉时还没结束的请求只保存到那一刻，标记为中断；{{lost}} 条没能重新交接',
  gaveUp:
    '存储线程连续挂了 {{attempts}} 次，不再重新拉起（{{cause}}）：从现在起抓到的请求都不会写入（到目前已丢 {{lost}} 条，都记了数）；流量照常转发。请重启 wirelog',
  swept: '存储线程挂掉时还没结束的 {{count}} 条请求已标记为中断',
  importRefused: '存储线程正在重新拉起（{{cause}}），稍后再导入一次这个文件',
};
