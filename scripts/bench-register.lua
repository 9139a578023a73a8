-- wrk script of scripts/bench-register.sh: each request picks a random municipality of the
-- nationwide deployment and one of the public pages: the register (HTML or JSON) or
-- "is this official?" for an official handle or a lookalike of one.
local n = tonumber(os.getenv("BENCH_MUNICIPALITIES") or "1741")
local topics = { "city", "bousai", "kosodate", "kanko", "library", "kankyo", "sports", "event", "kenko", "iju" }

function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000))
end

function request()
  local slug = string.format("m%04d", math.random(1, n))
  local r = math.random(1, 3)
  local path
  if r == 1 then
    path = "/m/" .. slug .. "/official-accounts"
  elseif r == 2 then
    path = "/m/" .. slug .. "/official-accounts.json"
  else
    local q = "%40" .. slug .. "_" .. topics[math.random(1, #topics)]
    if math.random(1, 2) == 1 then
      q = q .. "1" -- a lookalike: digits added
    end
    path = "/m/" .. slug .. "/verify?q=" .. q
  end
  return wrk.format("GET", path)
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, %d requests, %d errors\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
