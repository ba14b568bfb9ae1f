-- POST GraphQL bodies (one JSON document per line of $BENCH_BODIES, taken in turn) and count
-- as errors every non-200 response and every 200 whose body carries "errors".
-- done() prints one machine-readable RESULT line.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local bodies = {}
local next_body = 0
errors = 0
ok = 0

function init(args)
  local f = assert(io.open(os.getenv("BENCH_BODIES"), "r"))
  for line in f:lines() do
    if #line > 0 then table.insert(bodies, line) end
  end
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local token = os.getenv("BENCH_TOKEN")
  if token and #token > 0 then wrk.headers["Authorization"] = "Bearer " .. token end
  -- Ask for a computed answer, not the anonymous response cache's.
  if os.getenv("BENCH_NO_CACHE") == "1" then wrk.headers["Cache-Control"] = "no-cache" end
  next_body = (tonumber(os.getenv("BENCH_OFFSET") or "0") or 0) + #threads * 7
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    errors = errors + 1
  else
    ok = ok + 1
  end
end

function done(summary, latency, requests)
  local body_errors, oks = 0, 0
  for _, t in ipairs(threads) do
    body_errors = body_errors + (t:get("errors") or 0)
    oks = oks + (t:get("ok") or 0)
  end
  local e = summary.errors
  local transport = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    "RESULT requests=%d duration_us=%d ok=%d errors=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, oks, body_errors + transport,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
