// 升级（schema 17）新增的列表筛选索引：wirelog 开始监听之后，存储线程在两批抓包之间逐个建索引时控制台说的话（db/index-build.ts）。
import type { IndexBuildMessages } from './index-build.en.ts';

export const indexBuildZhCN: IndexBuildMessages = {
  console: {
    building:
      '列表筛选：这次升级新增了 {{count}} 个索引，正在抓包间隙逐个建（抓包最多等一个索引建完）；建好之前筛选照常可用，只是慢一些',
    built: '列表筛选：{{count}} 个索引已建好，用时 {{seconds}} 秒，筛选现在用上了',
    failing: '列表筛选：索引暂时没建成，稍后会重试：{{error}}',
  },
};
