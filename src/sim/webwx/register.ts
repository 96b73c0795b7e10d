/**
 * For `node --import tsx --import ./src/sim/webwx/register.ts …`: when CASCADE_WEBWX_URL is set
 * (e.g. http://127.0.0.1:40123, a running WebWxServer), wechat4u's HTTP goes there instead of
 * WeChat. Without the variable this does nothing.
 */
import { redirectWechat4u } from './redirect.ts'

const target = process.env.CASCADE_WEBWX_URL
if (target) redirectWechat4u(target)
