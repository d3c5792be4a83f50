// The viewer's catalogue chunks, made at build time by vite.config.ts from i18n/viewer-messages.ts.
declare module 'virtual:viewer-messages/en' {
  const messages: import('../../i18n/viewer-messages.ts').ViewerMessages;
  export default messages;
}
declare module 'virtual:viewer-messages/zh-CN' {
  const messages: import('../../i18n/viewer-messages.ts').ViewerMessages;
  export default messages;
}
