/**
 * Lua scripts: each runs atomically inside Redis, so an item, its indexes and its grant
 * membership never disagree, and `consume` is a single check-and-set that exactly one of any
 * number of racing clients (in any process) wins.
 *
 * An item is a hash: payload (JSON, never re-encoded in Lua), model, id, grantId, uid,
 * userCode, consumed. Index keys are built from the prefix passed in ARGV.
 */

/**
 * KEYS[1] item key. ARGV: 1 payload, 2 ttl seconds (0 = none), 3 prefix, 4 model, 5 id,
 * 6 grantId ('' = none, only for grantable models), 7 uid, 8 userCode, 9 consumed from the
 * payload ('' = none).
 * The consumed mark survives an upsert (an upsert never "un-consumes").
 */
export const UPSERT = `
local key, payload, ttl, prefix, model, id = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local grantId, uid, userCode, consumed = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local old = redis.call('HMGET', key, 'grantId', 'uid', 'userCode', 'consumed')
local function dropIndex(kind, value)
  if value and value ~= '' then
    local ik = prefix .. 'idx:' .. model .. ':' .. kind .. ':' .. value
    if redis.call('GET', ik) == id then redis.call('DEL', ik) end
  end
end
dropIndex('uid', old[2])
dropIndex('usercode', old[3])
if old[1] and old[1] ~= '' and old[1] ~= grantId then
  redis.call('SREM', prefix .. 'grant:' .. old[1], key)
end
redis.call('DEL', key)
redis.call('HSET', key, 'payload', payload, 'model', model, 'id', id, 'grantId', grantId, 'uid', uid, 'userCode', userCode)
if old[4] then
  redis.call('HSET', key, 'consumed', old[4])
elseif consumed ~= '' then
  redis.call('HSET', key, 'consumed', consumed)
end
if ttl > 0 then redis.call('EXPIRE', key, ttl) end
local function setIndex(kind, value)
  if value ~= '' then
    local ik = prefix .. 'idx:' .. model .. ':' .. kind .. ':' .. value
    if ttl > 0 then redis.call('SET', ik, id, 'EX', ttl) else redis.call('SET', ik, id) end
  end
end
setIndex('uid', uid)
setIndex('usercode', userCode)
if grantId ~= '' then
  local gk = prefix .. 'grant:' .. grantId
  local current = redis.call('TTL', gk)
  redis.call('SADD', gk, key)
  if ttl <= 0 then
    redis.call('PERSIST', gk)
  elseif current == -2 or (current >= 0 and current < ttl) then
    redis.call('EXPIRE', gk, ttl)
  end
end
return 1
`;

/** KEYS[1] item key; ARGV[1] now (epoch s). Returns 1 won, 0 already consumed, -1 missing. */
export const CONSUME = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1]) == 1 then return 1 end
return 0
`;

/** KEYS[1] item key; ARGV[1] prefix. Removes the item and its indexes. */
export const DESTROY = `
local key, prefix = KEYS[1], ARGV[1]
local f = redis.call('HMGET', key, 'model', 'id', 'grantId', 'uid', 'userCode')
if f[1] then
  local function dropIndex(kind, value)
    if value and value ~= '' then
      local ik = prefix .. 'idx:' .. f[1] .. ':' .. kind .. ':' .. value
      if redis.call('GET', ik) == f[2] then redis.call('DEL', ik) end
    end
  end
  dropIndex('uid', f[4])
  dropIndex('usercode', f[5])
  if f[3] and f[3] ~= '' then redis.call('SREM', prefix .. 'grant:' .. f[3], key) end
end
return redis.call('DEL', key)
`;

/** KEYS[1] grant set key; ARGV[1] prefix. Removes every item of the grant and the set. */
export const REVOKE_GRANT = `
local prefix = ARGV[1]
local members = redis.call('SMEMBERS', KEYS[1])
for _, key in ipairs(members) do
  local f = redis.call('HMGET', key, 'model', 'id', 'uid', 'userCode')
  if f[1] then
    for i, kind in ipairs({ 'uid', 'usercode' }) do
      local value = f[2 + i]
      if value and value ~= '' then
        local ik = prefix .. 'idx:' .. f[1] .. ':' .. kind .. ':' .. value
        if redis.call('GET', ik) == f[2] then redis.call('DEL', ik) end
      end
    end
  end
  redis.call('DEL', key)
end
redis.call('DEL', KEYS[1])
return #members
`;
