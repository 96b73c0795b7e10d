export { WebWxServer } from './server.ts'
export type { WebWxServerOptions, PendingLogin, RecordedMessage, RecordedDm, SessionInfo, WebWxStats } from './server.ts'
export { redirectWechat4u, rewriteWechatUrl, wechat4uAxios, wechat4uRedirectTarget } from './redirect.ts'
export { encodeWebText, encodeEmoji } from './protocol.ts'
