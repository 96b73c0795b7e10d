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
      relay?.auto ? this.t(relay.autoReason === 'policy' ? 'label_no_review' : 'label_auto') : '',
    ].join('')
  }

  postText(a: Announcement, text: string, relay?: Relay): string {
    return this.t('post', {
      labels: this.labels(a, relay),
      text, origin: this.dir.nodeName(a.originNode), code: a.code,
      ack_hint: a.ackRequired && a.type !== 'cancel' ? this.t('post_ack_hint') : '',
    })
  }
}
