-- Shared by every bench script: thread numbering, a request cap, and a JSON summary for bench/load.py.
-- BENCH_MAX_REQUESTS caps the requests of each thread, so a run is bounded in requests as well as time.

local threads = {}
local next_id = 1

function setup(thread)
   thread:set("id", next_id)
   thread:set("nthreads", tonumber(os.getenv("BENCH_THREADS") or "1"))
   next_id = next_id + 1
   table.insert(threads, thread)
end

local cap = tonumber(os.getenv("BENCH_MAX_REQUESTS") or "100000")
local sent = 0

function count_request()
   sent = sent + 1
   if sent >= cap then
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local wrapped = 0
   for _, thread in ipairs(threads) do
      wrapped = wrapped + (tonumber(thread:get("wrapped")) or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, ' ..
      '"socket_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
      '"max_us": %d, "mean_us": %.1f, "wrapped": %d}\n',
      summary.requests, summary.duration, summary.bytes, e.status, e.connect + e.read + e.write,
      e.timeout, latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0),
      latency.max, latency.mean, wrapped))
end
