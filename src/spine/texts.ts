/**
 * The words of the spine: templates filled (config/templates.yaml), the labels in front of a
 * notice and a post's full text. Pure.
 */
import type { Announcement, Relay, Severity } from '../domain/announcement.ts'
import { fill, type TemplateKey, type Templates } from '../domain/templates.ts'
import type { Directory } from './directory.ts'

export function severityZh(s: Severity): string {
  return s === 'urgent' ? '紧急' : s === 'info' ? '参考' : '一般'
}

export class Texts {
  private readonly templates: Templates

  constructor(private readonly dir: Directory) {
    this.templates = dir.cfg.templates as Templates
  }

  t(key: TemplateKey, vars: Record<string, string | number | undefined> = {}): string {
    return fill(this.templates[key], vars)
  }

  /** Labels in front of a notice: drill, urgency, correction, forwarded without review. */
  labels(a: Announcement, relay?: Relay): string {
    return [
      a.status === 'exercise' ? this.t('label_exercise') : '',
      a.severity === 'urgent' && a.type === 'alert' ? this.t('label_urgent') : '',
      a.type === 'update' ? this.t('label_update', { ref: a.references ?? '' }) : '',
      relay?.auto && relay.autoReason !== 'series' ? this.t(relay.autoReason === 'policy' ? 'label_no_review' : 'label_auto') : '',
    ].join('')
  }

  /**
   * A post: labels, the text, the footer (origin and code). The text cannot forge the rest: lines
   * that look like a footer and the labels' own words are taken out of it, and a text a curator
   * edited says which node edited it (else the district would be credited with their words).
   */
  postText(a: Announcement, text: string, relay?: Relay): string {
    let body = this.body(text)
    if (relay?.state === 'edited') body += this.t('edited_mark', { node: this.dir.nodeName(relay.node) })
    return this.t('post', {
      labels: this.labels(a, relay),
      text: body, origin: this.origin(a), code: a.code,
      ack_hint: a.ackRequired && a.type !== 'cancel' ? this.t('post_ack_hint') : '',
    })
  }

  /** Who a post names as its source: the origin node, or the province and the district that passed it on. */
  origin(a: Announcement): string {
    const district = this.dir.nodeName(a.originNode)
    return a.handoff ? this.t('province_origin', { province: a.handoff.province, district }) : district
  }

  /** What a post shows of a text: without footer-like lines and label words (empty: nothing to post). */
  body(text: string): string { return unforged(text, this.labelWords()) }

  /** The words of every label a post may carry (【紧急通知】, 【演练】, 【更正】 …). */
  private labelWords(): string[] {
    const update = this.t('label_update', { ref: '' })
    return [
      this.t('label_urgent'), this.t('label_exercise'), this.t('label_auto'), this.t('label_no_review'), this.t('label_resend'),
      update.slice(0, update.indexOf('】') + 1),
    ].filter(Boolean)
  }
}

/** A line that looks like a post's footer: `—— 朝天区 · 编号 A7K2`. */
const FOOTER_LIKE = /^\s*[—–\-－─]{2,}.*编\s*号\s*[A-Za-z0-9]{4}/

/** The text without lines that mimic the footer and without the labels' words. */
export function unforged(text: string, labels: string[]): string {
  let out = text.split('\n').filter(line => !FOOTER_LIKE.test(line)).join('\n')
  for (const label of labels) out = out.split(label).join('')
  return out.trim()
}
