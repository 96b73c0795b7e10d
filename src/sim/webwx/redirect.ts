/**
 * Sends wechat4u's HTTP to a simulated web-WeChat server (server.ts) instead of WeChat.
 *
 * wechat4u has no base-URL option: it builds `https://<host>.qq.com/...` URLs from the host of
 * the login redirect and sends them with its own axios instance, made by `axios.create()` in its
 * Request constructor (node_modules/wechat4u/lib/util/request.js), one per client object.
 * Interceptors added to the default axios are not inherited by instances, so this wraps
 * `axios.create` (of the axios module wechat4u loads) to give every instance made afterwards a
 * request interceptor that rewrites WeChat URLs to `baseUrl`, keeping path and query, and
 * passing the original host in the `x-webwx-host` header. The default instance gets it too.
 *
 * Cookies need nothing: wechat4u keeps them itself (its interceptors parse `set-cookie` into
 * `this.Cookie` and write the `cookie` header on every request, whatever the URL), and they
 * are part of the session data the puppet stores.
 *
 * Only clients created after the call are redirected; call it before the puppet starts.
 */
import { createRequire } from 'node:module'

interface AxiosConfigLike { url?: string; baseURL?: string; headers?: any; proxy?: unknown }
interface AxiosInstanceLike {
  interceptors: { request: { use(f: (c: AxiosConfigLike) => AxiosConfigLike): number } }
}
interface AxiosModuleLike extends AxiosInstanceLike {
  create: (...a: unknown[]) => AxiosInstanceLike
}

const WECHAT_HOST = /(^|\.)(qq\.com|wechat\.com|weixin\.com)$/i

let installed: { base: string } | undefined

/** The axios module wechat4u requires (resolved from wechat4u's own location). */
export function wechat4uAxios(): AxiosModuleLike {
  const here = createRequire(import.meta.url)
  const fromWechat4u = createRequire(here.resolve('wechat4u'))
  const mod = fromWechat4u('axios') as AxiosModuleLike & { default?: AxiosModuleLike }
  return mod.default && typeof mod.default.create === 'function' ? mod.default : mod
}

/** The URL a WeChat request goes to instead, or undefined when `url` is not WeChat's. */
export function rewriteWechatUrl(url: string, base: string): { url: string; host: string } | undefined {
  let u: URL
  try { u = new URL(url) } catch { return undefined }
  if (!WECHAT_HOST.test(u.hostname)) return undefined
  return { url: base.replace(/\/+$/, '') + u.pathname + u.search, host: u.hostname }
}

/**
 * Installs the redirect (once; later calls only change the target). Every request wechat4u
 * makes to a WeChat host (wx.qq.com, wx2.qq.com, login.wx*.qq.com, webpush.wx*.qq.com,
 * file.wx*.qq.com, login.weixin.qq.com, *.wechat.com) then goes to `baseUrl`.
 */
export function redirectWechat4u(baseUrl: string): void {
  if (!/^https?:\/\//.test(baseUrl)) throw new Error(`redirectWechat4u: not an http(s) URL: ${baseUrl}`)
  if (installed) { installed.base = baseUrl; return }
  const state = { base: baseUrl }
  installed = state
  const axios = wechat4uAxios()
  const interceptor = (config: AxiosConfigLike): AxiosConfigLike => {
    if (!config.url) return config
    const full = config.baseURL && !/^https?:/i.test(config.url) ? new URL(config.url, config.baseURL).toString() : config.url
    const r = rewriteWechatUrl(full, state.base)
    if (!r) return config
    config.url = r.url
    config.baseURL = undefined
    config.proxy = false
    if (config.headers) {
      if (typeof config.headers.set === 'function') config.headers.set('x-webwx-host', r.host)
      else config.headers['x-webwx-host'] = r.host
    }
    return config
  }
  axios.interceptors.request.use(interceptor)
  const create = axios.create.bind(axios)
  axios.create = (...a: unknown[]) => {
    const inst = create(...a)
    inst.interceptors.request.use(interceptor)
    return inst
  }
}

/** The target set by redirectWechat4u(), if any. */
export function wechat4uRedirectTarget(): string | undefined {
  return installed?.base
}
