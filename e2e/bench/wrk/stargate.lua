-- wrk script for `make bench` (e2e/src/bench/wrk.ts runs it). Settings come from the
-- environment, because wrk decides from the functions a script defines at load time whether
-- it must call them per request (a request() or delay() hook costs wrk time on every request):
--   WRK_TOKEN     bearer token sent on every request (optional)
--   WRK_BODY_FILE when set: POST this JSON file, with a fresh Idempotency-Key per request
--   WRK_DELAY_MS  when set: each connection waits this long between an answer and its next
--                 request, to hold a fixed, lower rate for latency figures
-- done() prints one line, "WRK_JSON {...}", with what wrk measured.

local token = os.getenv("WRK_TOKEN")
local body_file = os.getenv("WRK_BODY_FILE")
local pause = tonumber(os.getenv("WRK_DELAY_MS") or "")

if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_no", thread_count)
end

if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "r"))
  local body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local counter = 0
  local stamp = os.time()
  function request()
    counter = counter + 1
    wrk.headers["Idempotency-Key"] = string.format("bench-%d-%d-%d", stamp, thread_no or 0, counter)
    return wrk.format(nil, nil, nil, body)
  end
end

if pause then
  function delay()
    return pause
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,' ..
    '"writeErrors":%d,"non2xx3xx":%d,"timeouts":%d,"p50us":%d,"p90us":%d,"p99us":%d,"maxUs":%d,"meanUs":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
