/**
 * Chat texts come from config/templates.yaml so ops can reword them. This module fills
 * `{name}` placeholders and lists the keys and placeholders the code relies on. Pure.
 */

/** Every template key the code uses, with the placeholders it fills in. */
export const TEMPLATE_KEYS = {
  post: ['labels', 'text', 'origin', 'code', 'ack_hint'],
  post_ack_hint: [],
  province_origin: ['province', 'district'],
  label_urgent: [],
  approval_request: ['labels', 'from', 'code', 'severity', 'category', 'text', 'groups', 'children'],
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
  personal_code: ['code'],
  rebind_ok: ['name', 'roles'],
  rebind_bad: [],
  malformed: ['usage'],
  help: ['commands'],
  internal_error: [],
  // ── abuse resistance (src/spine/guards.ts) ──
  command_private_only: ['topic'],
  message_too_long: ['max'],
  rebind_displaced: ['name', 'bot'],
  rebind_displaced_staff: ['name', 'bot'],
  personal_code_rotated: ['code'],
  personal_code_revoked: ['name', 'topic'],
  personal_code_revoked_staff: ['name', 'topic'],
  rebind_elsewhere: ['name', 'bot'],
  rebind_elsewhere_staff: ['name', 'bot'],
  case_too_many: ['limit'],
  case_failed: [],
  // ── curators' workflow: policies, corrections, retraction, drills, scheduling (src/features/curation/) ──
  label_exercise: [],
  label_update: ['ref'],
  label_auto: [],
  label_resend: [],
  edited_mark: ['node'],
  label_no_review: [],
  reminder: ['code', 'minutes', 'severity'],
  escalation_notice: ['code', 'node', 'curators', 'minutes'],
  withdrawn_notice: ['code', 'reason'],
  cancel_text: ['ref', 'reason'],
  cancel_ok: ['code', 'groups', 'pending'],
  update_ok: ['code', 'ref'],
  not_amender: ['code', 'node'],
  not_amendable: ['code'],
  already_cancelled: ['code'],
  schedule_ok: ['code', 'time'],
  schedule_cancelled: ['code'],
  todo_list: ['count', 'items', 'example'],
  todo_empty: [],
  classify_ok: ['code', 'category'],
  classify_bad: ['categories'],
  // ── cases: tips (举报) and help requests (求助), src/features/cases/ ──
  case_opened_tip: ['code', 'node', 'take_within'],
  case_opened_help: ['code', 'node', 'take_within'],
  case_group_ack: ['kind'],
  case_duplicate: ['code'],
  case_empty: ['usage'],
  case_assigned: ['code', 'kind', 'node', 'reporter', 'text', 'take_within', 'note'],
  case_escalated: ['code', 'kind', 'node', 'reporter', 'text', 'overdue'],
  case_close_overdue: ['code', 'kind', 'node', 'hours'],
  case_taken_ok: ['code'],
  case_taken_reporter: ['code', 'node'],
  case_already_taken: ['code', 'actor'],
  case_reply_ok: ['code'],
  case_reply_reporter: ['code', 'node', 'actor', 'text'],
  case_closed_ok: ['code'],
  case_closed_reporter: ['code', 'result'],
  case_already_closed: ['code', 'actor'],
  case_transfer_ok: ['code', 'node'],
  case_transfer_unknown: ['name', 'nodes'],
  case_transferred_reporter: ['code', 'node'],
  case_verified_ok: ['code'],
  case_verified_reporter: ['code', 'reward'],
  case_already_verified: ['code', 'actor'],
  case_not_tip: ['code'],
  case_unknown: ['code'],
  case_staff_only: [],
  case_photo_added: ['code'],
  case_photo_staff: ['code', 'count'],
  // ── rumor rebuttal (src/features/rumors/) ──
  rumor_reply: ['quote', 'rebuttal', 'source', 'id', 'claim'],
  rumor_dm_reply: ['quote', 'rebuttal', 'source', 'id', 'claim'],
  rumor_dm_forwarded: ['quote', 'code', 'node'],
  rumor_dm_answered: ['quote', 'code', 'rebuttal', 'source', 'id', 'claim'],
  rumor_dm_dismissed: ['quote', 'code'],
  rumor_check_usage: [],
  rumor_suggest: ['code', 'where', 'text', 'candidate'],
  rumor_suggest_candidate: ['id', 'score', 'claim'],
  rumor_suggest_no_candidate: [],
  rumor_where_group: ['topic'],
  rumor_where_dm: ['node'],
  rumor_confirm_ok: ['code', 'id', 'claim'],
  rumor_confirm_nothing: ['code'],
  rumor_rebut_ok: ['code', 'id', 'node'],
  rumor_widen_ok: ['id', 'node', 'author'],
  rumor_widen_denied: ['id', 'node'],
  rumor_widen_unlimited: ['id'],
  rumor_dismiss_ok: ['code'],
  rumor_already_decided: ['code', 'actor', 'state'],
  rumor_unknown_code: ['code'],
  rumor_not_your_node: ['code', 'node'],
  rumor_broadcast_denied: [],
  rumor_broadcast_undecided: ['code'],
  rumor_unknown_entry: ['id'],
  rumor_broadcast_text: ['claim', 'rebuttal', 'source', 'id'],
  rumor_broadcast_ok: ['id', 'code'],
  // ── ops (issue 7): an account logged out, told to the district's ops group ──
  ops_bot_logged_out: ['name', 'bot', 'time', 'backlog', 'moved'],
  ops_bot_dead: ['name', 'bot', 'by', 'moved'],
  ops_groups_missing: ['name', 'bot', 'count', 'topics'],
  ops_groups_unnamed: ['name', 'bot', 'count'],
  ops_bot_barred: ['name', 'bot', 'why'],
  ops_group_removed: ['name', 'bot', 'topic', 'by', 'moved'],
  ops_group_renamed: ['name', 'bot', 'topic', 'new_topic', 'by'],
  group_unconfirmed: ['bot', 'topic', 'evidence'],
  group_ambiguous: ['bot', 'topic', 'evidence'],
  group_confirmed: ['topic'],
  group_confirm_not_yours: ['topic'],
  group_confirm_ambiguous: ['topic'],
  staff_rebind_needed: ['name', 'people'],
  staff_rebind_asked: ['name', 'people'],
  rebind_confirm_ask: ['name', 'bot'],
  // ── households and coverage (issue 4) ──
  coverage_deadline_worker: ['code', 'village', 'grid', 'covered', 'total', 'missing', 'households'],
  coverage_deadline_worker_done: ['code', 'village', 'grid', 'total'],
  coverage_deadline_curator: ['code', 'village', 'grids', 'unassigned'],
  coverage_grid_line: ['grid', 'covered', 'total', 'acked', 'notified', 'missing', 'workers'],
  coverage_unassigned: ['count', 'names'],
  coverage_chat: ['code', 'tree'],
  notified_ok: ['code', 'households'],
  notified_remaining: ['grid', 'count', 'households'],
  notified_all_done: ['grid'],
  notified_already: ['household', 'by', 'how', 'time'],
  notified_unknown: ['name'],
  notified_ambiguous: ['name', 'households'],
  notified_usage: [],
  notified_not_worker: [],
  notified_no_code: [],
  // ── command centre sign-in by one-time code (src/web/person-signin.ts) ──
  signin_code: ['name', 'code', 'from', 'minutes'],
  // ── series and the district's inbox (issue 25, src/features/series/, src/features/inbox/) ──
  series_approved: ['id', 'title', 'nodes', 'count'],
  series_per_run: ['id', 'nodes'],
  series_unknown: ['id', 'ids'],
  series_not_yours: ['id'],
  series_paused: ['id', 'title', 'nodes'],
  series_resumed: ['id', 'title', 'nodes'],
  series_stopped: ['id', 'title', 'nodes'],
  series_approval_hint: ['id', 'title', 'code'],
  series_no_figures: ['id', 'title', 'date', 'missing', 'example'],
  series_missed: ['id', 'title', 'time'],
  series_ended: ['id', 'title', 'count'],
  series_typed_reminder: ['id', 'title', 'time'],
  series_typed_ok: ['id', 'code', 'time'],
  series_typed_saved: ['id', 'time'],
  series_figures_ok: ['id', 'date', 'figures', 'time'],
  series_figures_bad: ['id', 'fields', 'example'],
  series_usage: [],
  inbox_list: ['count', 'items'],
  inbox_empty: [],
  inbox_added: ['id'],
  inbox_duplicate: ['id'],
  inbox_published: ['id', 'code'],
  inbox_dismissed: ['id'],
  inbox_unknown: ['id'],
  inbox_already: ['id', 'state'],
  inbox_usage: [],
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
