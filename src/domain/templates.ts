/**
 * Chat texts come from config/templates.yaml so ops can reword them. This module fills
 * `{name}` placeholders and lists the keys and placeholders the code relies on. Pure.
 */

/** Every template key the code uses, with the placeholders it fills in. */
export const TEMPLATE_KEYS = {
  post: ['labels', 'text', 'origin', 'code', 'ack_hint'],
  post_ack_hint: [],
  label_urgent: [],
  approval_request: ['from', 'code', 'severity', 'category', 'text', 'groups', 'children'],
  publish_ok: ['code', 'groups', 'children'],
  approve_ok: ['code', 'groups', 'children'],
  edit_ok: ['code', 'groups', 'children'],
  reject_ok: ['code'],
  rejected_notice: ['node', 'actor', 'code', 'reason'],
  already_decided: ['code', 'node', 'state', 'actor', 'time'],
  unknown_code: ['code'],
  not_your_node: ['code', 'nodes'],
  not_publisher: [],
  not_bound: [],
  bind_ok: ['name', 'roles'],
  bind_bad: [],
  bind_pending: ['count'],
  malformed: ['usage'],
  help: ['commands'],
  internal_error: [],
} as const satisfies Record<string, readonly string[]>

export type TemplateKey = keyof typeof TEMPLATE_KEYS
export type Templates = Record<TemplateKey, string>

/** Problems with a templates mapping: missing keys and unknown placeholders. */
export function checkTemplates(raw: Record<string, string>): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = []
  for (const [key, allowed] of Object.entries(TEMPLATE_KEYS) as [string, readonly string[]][]) {
    const text = raw[key]
    if (typeof text !== 'string') {
      problems.push({ key, message: `required template missing; placeholders it may use: ${allowed.map(a => `{${a}}`).join(' ') || '(none)'}` })
      continue
    }
    for (const m of text.matchAll(/\{(\w+)\}/g)) {
      if (!allowed.includes(m[1])) problems.push({ key, message: `unknown placeholder {${m[1]}}; allowed: ${allowed.map(a => `{${a}}`).join(' ') || '(none)'}` })
    }
  }
  return problems
}

/** Fills `{name}` placeholders; unknown ones are left as they are. */
export function fill(template: string, vars: Record<string, string | number | undefined>): string {
  return template.replace(/\{(\w+)\}/g, (all, name: string) => {
    const v = vars[name]
    return v === undefined ? all : String(v)
  })
}
