-- FinBoard's open-loop wrk script: requests at a fixed offered rate, latency
-- counted from each request's intended send time (no coordinated omission).
--
-- Why it exists: wrk waits for an answer before it sends the next request on
-- a connection, so when the server stalls it simply sends less, and the stall
-- never shows in its percentiles. wrk2 fixes that, but no registry this
-- project may use carries it; wrk's Lua API (delay/request/response) is enough
-- to do the same accounting:
--
--   * every connection has its own schedule fixed in advance: connection i of
--     n sends its k-th request at epoch + i/R + k*n/R seconds, so the n
--     connections together offer R requests/s, evenly spaced (wrk2's model);
--   * delay() returns the wait until the next slot (0 when already late);
--   * response() records latency = answer time - min(intended, actual send):
--     a request sent late (the connection was still waiting for an earlier
--     answer, or wrk's millisecond timer fired late) is charged from its
--     intended time, so queueing shows; one sent early by the timer's
--     rounding is charged from when it really went.
--
-- It needs one connection per wrk thread (-t = -c; the Python side enforces
-- it): wrk's Lua has no connection identity, and with one connection per
-- thread delay -> request -> response alternate strictly in the thread's state.
--
-- It loads finboard.lua (request rotation, tokens, status tallies, the JSON
-- document) and adds, through its extend_document hook, the open-loop fields:
-- rate, per-thread counts, an HdrHistogram-style latency histogram (3
-- significant digits, in microseconds), the send-lag histogram and a
-- per-second timeline of latency by intended send time.
--
-- Extra environment: FINBOARD_WRK_RATE (total requests/s over all
-- connections), FINBOARD_WRK_LUA_DIR (where finboard.lua is).

dofile(os.getenv("FINBOARD_WRK_LUA_DIR") .. "/finboard.lua")

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } finboard_timespec;
int clock_gettime(int clock_id, finboard_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("finboard_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000000 + math.floor(tonumber(timespec.tv_nsec) / 1000)
end

local rate = tonumber(os.getenv("FINBOARD_WRK_RATE") or "0")
assert(rate > 0, "FINBOARD_WRK_RATE must be a positive number of requests per second")
local connections = tonumber(os.getenv("FINBOARD_WRK_CONNECTIONS") or "1")
local START_MARGIN_US = 50000 -- threads start and connect before the first slot

-- main state ------------------------------------------------------------------

local epoch = nil
local base_setup = setup

function setup(thread)
  base_setup(thread)
  epoch = epoch or (now_us() + START_MARGIN_US)
  thread:set("epoch_us", epoch)
end

-- thread state -----------------------------------------------------------------

latency_hist = {} -- bucket (µs) -> count, from min(intended, sent)
lag_hist = {} -- bucket (µs) -> count, how late the request went out
-- per second of intended send time; flat tables, since wrk's thread:get crashes copying nested ones
timeline_n, timeline_sum, timeline_max = {}, {}, {}
counts = {slots = 0, sent = 0, completed = 0, unscheduled = 0}

local slot = 0
local pending_intended = nil
local sent_at = nil

-- 3 significant digits, like an HdrHistogram of precision 3: bounded memory, 0.1 % resolution
local function bucket(value)
  if value < 1000 then
    return math.max(0, math.floor(value))
  end
  local scale = 10 ^ (math.floor(math.log10(value)) - 2)
  return math.floor(value / scale) * scale
end

local function record(histogram, value)
  local key = bucket(value)
  histogram[key] = (histogram[key] or 0) + 1
end

local function intended_time(k)
  local index = thread_index or 0
  return epoch_us + index * 1000000 / rate + k * connections * 1000000 / rate
end

function delay()
  local intended = intended_time(slot)
  slot = slot + 1
  counts.slots = slot
  pending_intended = intended
  local wait_us = intended - now_us()
  if wait_us <= 0 then
    return 0
  end
  return math.floor(wait_us / 1000 + 0.5) -- wrk's timers have millisecond resolution
end

local base_request = request

function request()
  sent_at = now_us()
  if not pending_intended then -- wrk resent after a reconnect without asking delay(): due now
    pending_intended = sent_at
    counts.unscheduled = counts.unscheduled + 1
  end
  counts.sent = counts.sent + 1
  return base_request()
end

local base_response = response

function response(status, headers, body)
  base_response(status, headers, body)
  local now = now_us()
  if pending_intended then
    local from = math.min(pending_intended, sent_at or pending_intended)
    local latency = now - from
    record(latency_hist, latency)
    record(lag_hist, math.max(0, (sent_at or pending_intended) - pending_intended))
    local second = math.floor((pending_intended - epoch_us) / 1000000)
    timeline_n[second] = (timeline_n[second] or 0) + 1
    timeline_sum[second] = (timeline_sum[second] or 0) + latency
    timeline_max[second] = math.max(timeline_max[second] or 0, latency)
    counts.completed = counts.completed + 1
  end
  pending_intended = nil
  sent_at = nil
end

-- done(): merge the threads' accounting into the document ----------------------------

local function merge(into, histogram)
  for key, n in pairs(histogram or {}) do
    into[key] = (into[key] or 0) + n
  end
end

local function as_pairs(histogram)
  local out = {}
  for key, n in pairs(histogram) do
    table.insert(out, {key, n})
  end
  table.sort(out, function(a, b)
    return a[1] < b[1]
  end)
  return out
end

function extend_document(document, threads, summary)
  local latencies, lags, seconds = {}, {}, {}
  local totals = {slots = 0, sent = 0, completed = 0, unscheduled = 0}
  for _, thread in ipairs(threads) do
    merge(latencies, thread:get("latency_hist"))
    merge(lags, thread:get("lag_hist"))
    local sums, maxima = thread:get("timeline_sum") or {}, thread:get("timeline_max") or {}
    for second, n in pairs(thread:get("timeline_n") or {}) do
      local into = seconds[second] or {n = 0, sum_us = 0, max_us = 0}
      into.n = into.n + n
      into.sum_us = into.sum_us + sums[second]
      into.max_us = math.max(into.max_us, maxima[second])
      seconds[second] = into
    end
    local c = thread:get("counts") or {}
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + (c[key] or 0)
    end
  end
  local timeline_rows = {}
  for second, entry in pairs(seconds) do
    table.insert(timeline_rows, {second, entry.n, entry.sum_us, entry.max_us})
  end
  table.sort(timeline_rows, function(a, b)
    return a[1] < b[1]
  end)
  local elapsed_us = now_us() - epoch
  document.open_loop = {
    rate = rate,
    connections = #threads,
    elapsed_us = elapsed_us,
    due = math.max(0, math.floor(elapsed_us * rate / 1000000)),
    slots = totals.slots,
    sent = totals.sent,
    completed = totals.completed,
    unscheduled = totals.unscheduled,
    latency_hist_us = as_pairs(latencies),
    send_lag_hist_us = as_pairs(lags),
    timeline = timeline_rows,
  }
end
