-- wrk script for scripts/bench-checkin.sh. Each thread takes its own slice of
-- the session cookies in BENCH_COOKIES (one per line) and uses each once, in
-- order, then starts its slice again (counted in WRAPPED: those requests were
-- repeats, not first check-ins). BENCH_METHOD and BENCH_PATH say what to ask.
local counter = 0
local threads = {}
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  threads[counter] = thread
end

function init(args)
  cookies = {}
  for line in io.lines(os.getenv("BENCH_COOKIES")) do
    cookies[#cookies + 1] = line
  end
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  local per = math.floor(#cookies / threads)
  first = (tid - 1) * per + 1
  last = first + per - 1
  i = first - 1
  wrapped = 0
  name = os.getenv("BENCH_COOKIE_NAME")
  method = os.getenv("BENCH_METHOD")
  path = os.getenv("BENCH_PATH")
  origin = os.getenv("BENCH_ORIGIN")
end

function request()
  i = i + 1
  if i > last then
    i = first
    wrapped = wrapped + 1
  end
  local headers = { Cookie = name .. "=" .. cookies[i], Origin = origin }
  if method == "POST" then
    headers["Accept"] = "application/json"
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format(method, path, headers, "")
  end
  return wrk.format(method, path, headers)
end

function done(summary, latency, requests)
  local repeats = 0
  for _, t in ipairs(threads) do
    repeats = repeats + (t:get("wrapped") or 0)
  end
  io.write(string.format("RESULT requests=%d rps=%.0f p50_ms=%.1f p99_ms=%.1f non2xx=%d errors=%d wrapped=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, repeats))
end
