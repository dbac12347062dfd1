package redisboard

import "github.com/redis/go-redis/v9"

// A board's keys, all under one hash tag so that a board lives in one
// cluster slot and its scripts may touch every key:
//
//	{engagehub:board:NAME}:z      sorted set: user id → −G (see below)
//	{engagehub:board:NAME}:last   hash: user id → latest timestamp seen
//	{engagehub:board:NAME}:meta   hash: decay, lnf, max_users, landmark
//	{engagehub:board:NAME}:client:ID  the last batch number client ID applied
//
// G is the forward-decay value of core/leaderboard (decay.go): a user's score
// at t is G·f^((t − L)/86400) for the landmark L. The set holds −G because
// Redis orders equal scores by member ascending: ascending −G is score
// descending, ties by user id ascending, the embedded board's order, so
// ranks come from ZRANK and ZRANGE. Negation is exact, so each update is
// one ZINCRBY of −w and the stored value is bit for bit −(G + w).

// updateScript applies a batch of updates in order, as Board.update of
// core/leaderboard does, atomically (no other client sees half a batch or
// a half-done rebase). KEYS: z, last, meta, client. ARGV: decay, ln decay,
// max users (written to meta if it has none), the latest timestamp
// accepted, the batch number, then (id, points, timestamp) per update.
// Returns {refused, index of the first refused or -1, why: 1 points, 2
// timestamp}, or {-1, -1, 0} for a
// batch this client already applied (a retry whose first reply was lost).
var updateScript = redis.NewScript(`
local z, last, meta = KEYS[1], KEYS[2], KEYS[3]
local batch = tonumber(ARGV[5])
if tonumber(redis.call('GET', KEYS[4]) or '-1') >= batch then
  return {-1, -1, 0}
end
redis.call('SET', KEYS[4], ARGV[5], 'EX', 86400)
local lnf = redis.call('HGET', meta, 'lnf')
if not lnf then
  redis.call('HSET', meta, 'decay', ARGV[1], 'lnf', ARGV[2], 'max_users', ARGV[3])
  lnf = ARGV[2]
end
lnf = tonumber(lnf)
local maxu = tonumber(redis.call('HGET', meta, 'max_users') or ARGV[3])
local latest = tonumber(ARGV[4])
local L = tonumber(redis.call('HGET', meta, 'landmark') or '0')
local D = 86400
local inf = math.huge
local function fmt(x) return string.format('%.17g', x) end
local function setLandmark(l, raw)
  L = l
  redis.call('HSET', meta, 'landmark', raw)
end
local function rebase(l, raw)
  if lnf ~= 0 and l ~= L then
    local factor = math.exp(lnf * (l - L) / D)
    local all = redis.call('ZRANGE', z, 0, -1, 'WITHSCORES')
    for i = 1, #all, 2 do
      redis.call('ZADD', z, fmt(tonumber(all[i + 1]) * factor), all[i])
    end
  end
  setLandmark(l, raw)
end
local n = redis.call('ZCARD', z)
local refused, first, why = 0, -1, 0
local function refuse(idx, reason)
  refused = refused + 1
  if first < 0 then first, why = idx, reason end
end
local function touch(id, ts, raw)
  if ts > tonumber(redis.call('HGET', last, id) or '-inf') then
    redis.call('HSET', last, id, raw)
  end
end
for i = 6, #ARGV, 3 do
  local idx = (i - 6) / 3
  local id, p, raw = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  local ts = tonumber(raw)
  local s = redis.call('ZSCORE', z, id)
  if p == 0 then
    if s then
      if ts > latest and ts > tonumber(redis.call('HGET', last, id) or '-inf') then
        refuse(idx, 2)
      else
        touch(id, ts, raw)
      end
    end
  elseif ts > latest then
    refuse(idx, 2)
  else
    if n == 0 then
      setLandmark(ts, raw)
    elseif lnf ~= 0 and -(lnf * (ts - L) / D) > 300 then
      rebase(ts, raw)
      s = redis.call('ZSCORE', z, id)
    end
    local old = 0
    if s then old = -tonumber(s) end
    local w = p * math.exp(-(lnf * (ts - L) / D))
    local ng = old + w
    local ok = true
    if ng ~= ng or ng == inf or ng == -inf then
      -- The total may fit with the landmark at ts.
      local g2 = old * math.exp(lnf * (ts - L) / D) + p
      if lnf == 0 or ts <= L or g2 == inf or g2 == -inf then
        ok = false
      else
        rebase(ts, raw)
        s = redis.call('ZSCORE', z, id)
        old = 0
        if s then old = -tonumber(s) end
        w = p
        ng = old + p
        if ng == inf or ng == -inf then ok = false end
      end
    end
    if not ok then
      refuse(idx, 1)
    else
      redis.call('ZINCRBY', z, fmt(-w), id)
      if s then
        touch(id, ts, raw)
      else
        redis.call('HSET', last, id, raw)
        n = n + 1
        if maxu > 0 and n > maxu then
          local gone = redis.call('ZPOPMAX', z)
          redis.call('HDEL', last, gone[1])
          n = n - 1
        end
      end
    end
  end
end
return {refused, first, why}
`)

// readScript reads a range of ranks with the board's decay state, in one
// consistent view. KEYS: z, last, meta. ARGV: 'page', start, stop (0-based,
// inclusive, as ZRANGE) | 'around', id, before, after | 'rank', id | 'at',
// p (the entry at percentile p by nearest rank, as core/leaderboard's
// AtPercentile computes its index: the same double arithmetic). A mode
// prefixed with '+' also counts the users strictly above the first row's
// score (ZCOUNT below its −G, exclusive: O(log n)), for competition ranks.
// Returns {{lnf, landmark, decay, max_users}, start rank (0-based; -1 for
// an unknown id or an empty board), {id, −G, id, −G, ...}, {last update,
// ...}, users above the first row (0 unless counted)}.
var readScript = redis.NewScript(`
local z, last, meta = KEYS[1], KEYS[2], KEYS[3]
local m = redis.call('HMGET', meta, 'lnf', 'landmark', 'decay', 'max_users')
local head = {m[1] or '', m[2] or '0', m[3] or '', m[4] or ''}
local mode = ARGV[1]
local counted = string.sub(mode, 1, 1) == '+'
if counted then mode = string.sub(mode, 2) end
local start, stop
if mode == 'page' then
  start, stop = tonumber(ARGV[2]), tonumber(ARGV[3])
elseif mode == 'at' then
  local n = redis.call('ZCARD', z)
  if n == 0 then return {head, -1, {}, {}, 0} end
  local up = math.max(math.ceil(tonumber(ARGV[2]) * n / 100), 1)
  start = n - math.min(up, n)
  stop = start
else
  local r = redis.call('ZRANK', z, ARGV[2])
  if not r then return {head, -1, {}, {}, 0} end
  if mode == 'rank' then
    start, stop = r, r
  else
    start = math.max(r - tonumber(ARGV[3]), 0)
    stop = r + tonumber(ARGV[4])
  end
end
local rows = redis.call('ZRANGE', z, start, stop, 'WITHSCORES')
local lasts = {}
for i = 1, #rows, 2 do
  lasts[#lasts + 1] = redis.call('HGET', last, rows[i]) or '0'
end
local above = 0
if counted and #rows > 0 then
  above = redis.call('ZCOUNT', z, '-inf', '(' .. rows[2])
end
return {head, start, rows, lasts, above}
`)

// removeScript removes one user from the set and the last-update hash.
// KEYS: z, last. ARGV: id. Returns 1 if the user was on the board.
var removeScript = redis.NewScript(`
local n = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return n
`)
