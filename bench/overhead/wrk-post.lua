-- wrk script for the overhead benchmark: POSTs the files named by $BENCH_BODIES (one path per line)
-- in turn, as one conversation replayed turn after turn, with the headers in $BENCH_HEADERS
-- ("name: value" lines), and prints one machine-readable line at the end.
-- With $BENCH_SESSIONS = N (> 1), N sessions each replay the conversation: the session header
-- (x-claude-code-session-id) of request k is the given value plus "-s" .. (k mod N), and each session
-- sends its turns in order. That is what spreads a load over instances behind a balancer that hashes
-- the session header (one session would all go to one instance).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end

-- Whole requests formatted once, in init (after wrk has set the Host header): building a 200 KB
-- request per call would load wrk, not the target.
local requests = {}
local turn = 0
local sessions = tonumber(os.getenv("BENCH_SESSIONS") or "1") or 1
local SESSION_HEADER = "x-claude-code-session-id"

init = function(args)
  local bodies = {}
  for path in (os.getenv("BENCH_BODIES") or ""):gmatch("[^\n]+") do
    local f = assert(io.open(path, "rb"))
    bodies[#bodies + 1] = f:read("*a")
    f:close()
  end
  assert(#bodies > 0, "BENCH_BODIES names no file")
  if sessions <= 1 then
    for _, body in ipairs(bodies) do requests[#requests + 1] = wrk.format("POST", nil, nil, body) end
    return
  end
  -- Request k (from 0) is session k mod N's turn floor(k / N) mod T: sessions interleave, and each
  -- one's turns come in order.
  local base = wrk.headers[SESSION_HEADER] or "bench-session"
  for t = 1, #bodies do
    for s = 0, sessions - 1 do
      local h = {}
      for name, value in pairs(wrk.headers) do h[name] = value end
      h[SESSION_HEADER] = base .. "-s" .. s
      requests[#requests + 1] = wrk.format("POST", nil, h, bodies[t])
    end
  end
end

request = function()
  turn = turn % #requests + 1
  return requests[turn]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
