-- Install then uninstall listings, alternately, from many workspaces. Run with as many threads
-- as connections (-t64 -c64): each thread owns one connection and one workspace (bench-NN), so
-- it knows which answer belongs to which request. Listing slugs come from $BENCH_SLUGS.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local slugs = {}
local workspace = nil
local copy = nil
local pending = nil
local n = 0
installs = 0
uninstalls = 0
errors = 0

local INSTALL = 'mutation($w: String!, $c: String!) { installConnector(input: {workspace: $w, connector: $c}) { workspaceConnector { id } userErrors { code message } } }'
local UNINSTALL = 'mutation($id: ID!) { uninstallWorkspaceConnector(input: {workspaceConnectorId: $id}) { uninstalledId userErrors { code message } } }'

local function json_string(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

function init(args)
  local f = assert(io.open(os.getenv("BENCH_SLUGS"), "r"))
  for line in f:lines() do
    if #line > 0 then table.insert(slugs, line) end
  end
  f:close()
  workspace = string.format("bench-%02d", tid)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
  n = tid * 13
end

function request()
  local body
  if copy then
    pending = "uninstall"
    body = '{"query":' .. json_string(UNINSTALL) .. ',"variables":{"id":' .. json_string(copy) .. '}}'
  else
    pending = "install"
    n = n + 1
    local slug = slugs[n % #slugs + 1]
    body = '{"query":' .. json_string(INSTALL) .. ',"variables":{"w":' .. json_string(workspace) ..
      ',"c":' .. json_string(slug) .. '}}'
  end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    errors = errors + 1
    return
  end
  if pending == "install" then
    local id = string.match(body, '"workspaceConnector":{"id":"([^"]+)"')
    if id then
      installs = installs + 1
      copy = id
    else
      errors = errors + 1
    end
  else
    if string.find(body, '"uninstalledId":"', 1, true) then
      uninstalls = uninstalls + 1
      copy = nil
    else
      errors = errors + 1
    end
  end
end

function done(summary, latency, requests)
  local i, u, errs = 0, 0, 0
  for _, t in ipairs(threads) do
    i = i + (t:get("installs") or 0)
    u = u + (t:get("uninstalls") or 0)
    errs = errs + (t:get("errors") or 0)
  end
  local e = summary.errors
  local transport = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    "RESULT requests=%d duration_us=%d ok=%d errors=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d installs=%d uninstalls=%d\n",
    summary.requests, summary.duration, i + u, errs + transport,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, i, u))
end
