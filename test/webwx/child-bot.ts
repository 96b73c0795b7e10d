/**
 * A bot process for test/webwx/server.test.ts: the real Wechaty + wechaty-puppet-wechat4u, its
 * HTTP redirected by `--import ./src/sim/webwx/register.ts` (CASCADE_WEBWX_URL). Prints one JSON
 * line per event on stdout.
 *
 *   node --import tsx --import ./src/sim/webwx/register.ts test/webwx/child-bot.ts <memory-card-name> <room-topic>
 */
import { WechatyBuilder, log } from 'wechaty'
import { PuppetWechat4u } from 'wechaty-puppet-wechat4u'

log.level('silent')
const [name, topic] = process.argv.slice(2)
const out = (o: Record<string, unknown>): void => { process.stdout.write(JSON.stringify(o) + '\n') }

const bot = WechatyBuilder.build({ name, puppet: new PuppetWechat4u() })
bot.on('scan', (qrcode, status) => out({ event: 'scan', qrcode, status }))
bot.on('error', e => out({ event: 'error', error: String(e).slice(0, 300) }))
bot.on('login', async user => {
  out({ event: 'login', id: user.id, name: user.name() })
  for (let i = 0; i < 200; i++) {
    const room = topic ? await bot.Room.find({ topic }) : undefined
    if (room) { out({ event: 'room', id: room.id }); return }
    await new Promise(r => setTimeout(r, 50))
  }
})
await bot.start()
out({ event: 'started' })
