// 在 `wirelog run` 之外信任 wirelog 的 CA（issue 29）：`wirelog ca` 里关于 NSS 数据库（Chromium、Firefox）
// 和 Java 信任库的说明、`wirelog ca --install/--uninstall`，以及 wirelog 在数据目录里维护的 Java 信任库
// （英文版见 trust.en.ts）。命令、路径、参数和工具名原样保留。
import type { TrustMessages } from './trust.en.ts';
import type { Shape } from './shape.ts';

export const trustZhCN: Shape<TrustMessages> = {
  help: `wirelog ca [--pem] [--regenerate] [--install|--uninstall [--nss] [--java]] [--data-dir DIR]：CA 在哪、
它的指纹，以及怎样信任它
  --regenerate   换一个新的 CA（需要重新信任；旧的随即失效）
  --install      把 CA 加入本机的信任库（macOS：你的登录钥匙串；Debian/Ubuntu、Fedora：系统信任库，需要 root），
                 每条命令运行前先打印出来
  --nss          同时加入你的 NSS 数据库：Chromium 的（~/.pki/nssdb）和每个 Firefox 配置文件的（需要 certutil）
  --java         同时加入 JDK 自带的信任库（cacerts，用 keytool）
  --uninstall    从这些信任库里再删掉`,
  stores: {
    intro: '浏览器和 Java 各有自己的信任库：',
    nss: '  Linux 上的 Chromium 和 Firefox（NSS；certutil 在 libnss3-tools 包里），每个数据库执行：',
    java: '  Java（JDK 的 cacerts；用 `wirelog run` 和 `wirelog env` 时都不需要这一步：它们会设置 JAVA_TOOL_OPTIONS）：',
    install: '也可以让 wirelog 来做，每条命令先打印再执行：wirelog ca --install [--nss] [--java]（--uninstall 撤销）',
  },
  conflict: '--install 和 --uninstall 一次只能用一个：二选一',
  needsAction: '--nss 和 --java 是给 --install 或 --uninstall 选信任库的：请加上其中一个',
  store: {
    system: '系统信任库 {{place}}',
    nss: 'NSS 数据库 {{place}}',
    java: 'Java 信任库 {{place}}',
  },
  done: {
    install: '{{store}}：已信任 wirelog 的 CA',
    uninstall: '{{store}}：已删除 wirelog 的 CA',
  },
  failed: '{{store}}：`{{command}}` 执行失败（{{why}}），后面的命令没有执行：解决原因后再运行一次 wirelog ca',
  exit: '退出码 {{status}}',
  skip: {
    needsRoot: '{{store}}：需要 root 权限，没有执行；请自己运行：',
    noTool: '{{store}}：没有改动，因为没装 {{tool}}：先安装（{{fix}}）再运行一次',
    platform: '{{store}}：wirelog 不会改 {{platform}} 上的信任库：请手动运行 `wirelog ca` 打印的命令',
    absent: '{{store}}：里面没有 wirelog 的 CA，无需删除',
    noJava:
      'Java 信任库：没有改动，找不到 JDK（JAVA_HOME 或 PATH 上的 java 下面的 keytool 和 lib/security/cacerts）：设置好 JAVA_HOME 再运行一次',
  },
  codexDeferredTools:
    'Codex 0.171 把 MCP 工具藏在 tool_search 后面，而 tool_search 只提供给它有元数据的模型（中转站的模型没有）：如果模型一直看不到 wirelog 的工具，把下面两行的注释去掉（已经有 [features] 表的，把第二行加进去即可）',
  role: {
    javaStore: 'Java 信任库',
    javaPassword: 'Java 信任库的密码',
  },
  fix: {
    removeJavaStore: '把它和旁边的信任库一起删掉（rm {{file}} {{store}}）：wirelog 会重新生成',
  },
};
