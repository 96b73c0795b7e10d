/**
 * Lua scripts for atomic state changes. Each is named by what it does and how many keys it takes.
 */

/**
 * patchIfState — change one JSON record in a hash only if its `state` is one of the allowed.
 * KEYS[1]  the hash (relays:<code> or deliveries:<code>)
 * ARGV[1]  the field (node id or group topic)
 * ARGV[2]  allowed current states, comma separated
 * ARGV[3]  JSON object of fields to set (merged into the record)
 * ARGV[4]  optional: the record's `bot` must be this too (a post moving between accounts)
 * Returns  {1, newJson} when changed, {0, currentJson or false} when not.
 */
export const PATCH_IF_STATE = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return {0, false} end
local rec = cjson.decode(cur)
local ok = false
for s in string.gmatch(ARGV[2], '([^,]+)') do
  if rec.state == s then ok = true end
end
if ARGV[4] and ARGV[4] ~= '' and rec.bot ~= ARGV[4] then ok = false end
if not ok then return {0, cur} end
local patch = cjson.decode(ARGV[3])
for k, v in pairs(patch) do rec[k] = v end
local out = cjson.encode(rec)
redis.call('HSET', KEYS[1], ARGV[1], out)
return {1, out}
`

/**
 * deleteIfOwner — let go of a lock only if it is still ours (it may have expired and been taken).
 * KEYS[1]  the lock; ARGV[1] its owner
 */
export const DELETE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

/**
 * replaceIfValue — take over a key only if it still holds what was read (a send claim whose
 * outcome is being settled: of two workers settling it, one wins).
 * KEYS[1]  the key; ARGV[1] the value read; ARGV[2] the new value; ARGV[3] TTL in seconds
 * Returns  1 when replaced, 0 when the key changed meanwhile.
 */
export const REPLACE_IF_VALUE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
return 1
`

/**
 * recordAck — one acknowledgment per member and announcement.
 * KEYS[1]  acks:<code> (hash member → JSON)
 * KEYS[2]  ackn:<code> (hash topic → count)
 * ARGV[1]  member key, ARGV[2] record JSON, ARGV[3] group topic
 * Returns  1 when recorded, 0 when the member had already acknowledged.
 */
export const RECORD_ACK = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
  return 1
end
return 0
`

/**
 * setLatestIfNewer — remember the newest acknowledgment-required announcement of a group.
 * KEYS[1]  latest:<topic>; ARGV[1] code, ARGV[2] its createdAt (ms)
 */
export const SET_LATEST_IF_NEWER = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local at = tonumber(string.match(cur, '^(%d+):'))
  if at and at > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2] .. ':' .. ARGV[1])
return 1
`

/**
 * beginPost — the outbox worker takes a queued post for sending, unless it must not go out.
 * KEYS[1]  deliveries:<code>; KEYS[2] cancelled:<code> (exists once the announcement is cancelled)
 * ARGV[1]  group topic; ARGV[2] now (ms); ARGV[3] expiresAt (ms) or ''
 * Returns  'sending' when taken; 'withdrawn' when cancelled/expired (the post is withdrawn);
 *          otherwise the delivery's current state (or 'missing').
 * Atomic with `cancel`, which sets KEYS[2] before sweeping: a post is either taken before the
 * cancel (then it gets a correction) or withdrawn (then it gets neither).
 */
export const BEGIN_POST = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 'missing' end
local rec = cjson.decode(cur)
if rec.state ~= 'queued' then return rec.state end
local expired = ARGV[3] ~= '' and tonumber(ARGV[2]) >= tonumber(ARGV[3])
if redis.call('EXISTS', KEYS[2]) == 1 or expired then
  rec.state = 'withdrawn'
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(rec))
  return 'withdrawn'
end
rec.state = 'sending'
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(rec))
return 'sending'
`

/**
 * createAnnouncement — stores a new announcement once; a correction is also listed under its
 * original and, when the original is already retracted, is born retracted by the same cancel.
 * KEYS[1] ann:<code>; KEYS[2] anns; KEYS[3] corrections:<original>; KEYS[4] cancelled:<original>;
 * KEYS[5] cancelled:<code>; KEYS[6] once:<key> (publish once per key; '' when not asked)
 * ARGV[1] the announcement (JSON); ARGV[2] createdAt (ms); ARGV[3] code; ARGV[4] '1' for a correction;
 * ARGV[5] '1' when KEYS[6] is used
 * Returns 1 when stored, 0 when the code is taken, or what KEYS[6] holds already (the code
 * published under that key, or a mark that it was called off before it came).
 * Atomic with `cancel`, which sets the original's flag before it reads the corrections: a
 * correction is either listed before the flag (the cancel withdraws it) or sees the flag here.
 */
export const CREATE_ANNOUNCEMENT = `
if ARGV[5] == '1' then
  local prev = redis.call('GET', KEYS[6])
  if prev then return prev end
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
if ARGV[5] == '1' then redis.call('SET', KEYS[6], ARGV[3]) end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
if ARGV[4] == '1' then
  redis.call('SADD', KEYS[3], ARGV[3])
  local by = redis.call('GET', KEYS[4])
  if by then redis.call('SET', KEYS[5], by, 'NX') end
end
return 1
`
