-- One GCRA step for one key, atomically.
-- KEYS[1]  the key; its value is the theoretical arrival time (TAT) in
--          microseconds: when it will have earned back its latest request.
-- ARGV[1]  now, in Unix microseconds, from the caller's clock (not Redis
--          TIME, so tests can drive it and replicas agree within NTP skew)
-- ARGV[2]  emission interval: microseconds to earn one request
-- ARGV[3]  tolerance: microseconds to earn a full burst
-- Returns {allowed (1 or 0), TAT - now after this step, in microseconds}.
-- The key expires when its full burst is back, since then it holds nothing.
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])

local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end

local next_tat = tat + interval
if next_tat - now > tolerance then
  return {0, tat - now}
end
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil((next_tat - now) / 1000))
return {1, next_tat - now}
