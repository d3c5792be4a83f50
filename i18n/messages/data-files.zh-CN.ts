// 数据目录里的文件出问题时 wirelog 说的话（i18n/messages/data-files.en.ts 的中文）。
import type { DataFilesMessages } from './data-files.en.ts';
import type { Shape } from './shape.ts';

export const dataFilesZhCN: Shape<DataFilesMessages> = {
  role: {
    caFolder: 'CA 目录',
    caCert: 'CA 证书',
    caKey: 'CA 私钥',
    caPublicKey: 'CA 公钥',
    leafKey: '叶子证书私钥',
    trustBundle: '信任证书包',
    dataDir: '数据目录',
    clientFiles: '客户端配置目录',
    wgetSettings: 'wget 配置文件',
    instance: '实例记录文件',
    database: '数据库文件',
    fingerprintKey: '指纹密钥',
  },
  fix: {
    regenerate: '运行 `wirelog ca --regenerate`，然后信任新的 CA',
    moveCaFolder: '把它挪走（mv {{dir}} {{dir}}.untrusted），然后运行 `wirelog ca --regenerate` 并信任新的 CA',
    moveAndRunAgain: '把它挪走（mv {{dir}} {{dir}}.untrusted）后重新运行',
    removeRewritten: '删掉它（rm {{file}}），wirelog 会重新生成',
    removeInstance: '在没有 wirelog 使用这个数据目录时删掉它（rm {{file}}）',
    otherDataDir: '用 --data-dir 或 WIRELOG_HOME 换一个目录',
    moveDatabase: '在没有 wirelog 运行时把它挪走（mv），或者让 --data-dir 指向真正存放数据库的目录',
    removeFingerprintKey: '删掉它（rm {{file}}）后重新启动，wirelog 会生成新的（之前存下的指纹将和新的对不上）',
  },
  kind: {
    link: '符号链接（指向 {{target}}）',
    directory: '目录',
    fifo: '命名管道（FIFO）',
    socket: '套接字（socket）',
    device: '设备文件',
    notRegular: '不是普通文件',
    file: '文件',
  },
  owner: {
    named: '用户 {{name}}（uid {{uid}}）',
    uid: 'uid 为 {{uid}} 的用户',
  },
  doing: {
    lookedAt: '查看',
    read: '读取',
    created: '创建',
    written: '写入',
    removed: '删除',
  },
  file: {
    refused: '{{what}} {{file}} {{problem}}：{{fix}}',
    readableByOthers:
      '{{what}} {{file}} 其他用户也能读取（权限 {{mode}}）：运行 `chmod 600 {{file}}`（如果可能已被别人拷走：{{fix}}）',
    isLink: '是{{kind}}，wirelog 不跟随数据目录里的任何链接',
    notAFile: '是{{kind}}，不是 wirelog 写的文件',
    othersFile: '属于{{owner}}，权限 {{mode}}，不属于你（uid {{uid}}）：它的所有者可能改写过它',
    cannotBe: '无法{{doing}}（{{code}}）',
    replaced: '在 wirelog 打开时被替换了',
    vanished: '在 wirelog 创建它时消失了',
    isDirectory: '是目录，不是 wirelog 写的文件（请自己删除：rm -r）',
  },
  dir: {
    refused: '{{what}} {{dir}} 无法使用：{{problem}}；{{fix}}',
    cannotCreate: '无法创建（{{code}}）',
    vanished: '在 wirelog 创建它时消失了',
    linkInside: '它是{{kind}}，wirelog 不跟随数据目录里的任何链接',
    othersLink: '它是{{owner}}创建的{{kind}}，对方随时可以把它指向别处',
    leadsNowhere: '它是指向不存在位置的{{kind}}（{{code}}）',
    notADirectory: '它是{{kind}}，不是目录',
    othersDir:
      '它属于{{owner}}，权限 {{mode}}，不属于你（uid {{uid}}），所有者可以读取其中任何内容、也可以往里放任何东西',
    othersEnter: '其他用户可以进入（权限 {{mode}}），而且无法改成仅所有者可用（{{code}}）：运行 `chmod 700 {{dir}}`',
    notUsable: '你没有读写权限（{{code}}）：运行 `chmod 700 {{dir}}`',
  },
  ca: {
    certVanished: 'CA 证书 {{file}} 在 wirelog 创建时消失了：运行 `wirelog ca --regenerate`，然后信任新的 CA',
    keyMissing: 'CA 证书还在，但 CA 私钥 {{file}} 不见了：运行 `wirelog ca --regenerate`，然后信任新的 CA',
    unreadable: '{{dir}} 里的 CA 读不出来（{{error}}）：运行 `wirelog ca --regenerate`，然后信任新的 CA',
    expired: '{{dir}} 里的 wirelog CA 已于 {{date}} 过期：运行 `wirelog ca --regenerate`，然后信任新的 CA',
  },
  database: {
    cannotOpen: '无法打开数据库 {{file}}：{{error}}；请确认你对数据目录有读写权限，或者用 --data-dir 换一个',
    newer:
      '数据库 {{file}} 的表结构版本是 {{version}}，比这个 wirelog 能识别的（{{known}}）更新：请升级 wirelog，或者换一个 --data-dir',
  },
  fingerprintTooShort: '{{file}} 太短，不是有效的指纹密钥：删掉它后重启 wirelog（之前存下的指纹将和新的对不上）',
};
