// 升级（schema 17、19、22）新增或替换的列表筛选索引：wirelog 开始监听之后，存储线程在两批抓包之间逐个建索引时控制台说的话（db/index-build.ts）。
import type { IndexBuildMessages } from './index-build.en.ts';

export const indexBuildZhCN: IndexBuildMessages = {
  console: {
    building:
      '列表筛选：这次升级要调整索引（新建 {{count}} 个，删掉被替换的 {{dropped}} 个），正在抓包间隙逐个处理（抓包最多等一步做完）；调整完之前筛选照常可用，只是慢一些',
    built: '列表筛选：索引已调整完，用时 {{seconds}} 秒（新建 {{count}} 个，删掉 {{dropped}} 个），筛选现在用上了',
    failing: '列表筛选：索引暂时没建成，稍后会重试：{{error}}',
  },
};
