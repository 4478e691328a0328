-- wrk script for the overhead benchmark: POSTs the files named by $BENCH_BODIES (one path per line)
-- in turn, as one conversation replayed turn after turn, with the headers in $BENCH_HEADERS
-- ("name: value" lines), and prints one machine-readable line at the end.
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

init = function(args)
  for path in (os.getenv("BENCH_BODIES") or ""):gmatch("[^\n]+") do
    local f = assert(io.open(path, "rb"))
    requests[#requests + 1] = wrk.format("POST", nil, nil, f:read("*a"))
    f:close()
  end
  assert(#requests > 0, "BENCH_BODIES names no file")
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
