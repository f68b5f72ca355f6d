-- FinBoard's wrk script: one script for every scenario.
--
-- Why it exists: wrk's own text output counts every response as a request
-- whatever its status, and can't be read reliably by a program. This script
-- rotates through a scenario's request list, tallies the status of every
-- response per thread, and writes one JSON document from done(): requests,
-- duration, bytes, latency percentiles, errors by kind and status counts.
--
-- Configuration comes from the environment (done() runs in wrk's main Lua
-- state, which never sees the script arguments):
--   FINBOARD_WRK_REQUESTS  Lua file: return {expected = {...}, requests = {{method, path, body|false, auth[, headers]}, ...}}
--                          auth: false, true (Authorization: Bearer <token>) or "cookie" (Cookie: <token>, a
--                          forum session); headers: a table of extra headers (If-None-Match), optional
--   FINBOARD_WRK_TOKENS    Lua file: return {"token", ...} (one per connection: bearer tokens or session
--                          cookies, whichever the scenario's requests ask for), may be empty
--   FINBOARD_WRK_THREADS   wrk's -t, to spread the threads' starting points
--   FINBOARD_WRK_CONNECTIONS wrk's -c, to hand each thread its connections' tokens
--   FINBOARD_WRK_OUT       where done() writes the JSON document
--
-- wrk's Lua API has no connection identity: each thread owns connections/threads
-- connections and gets that many tokens, used round-robin by its requests.

local config = dofile(os.getenv("FINBOARD_WRK_REQUESTS"))
local token_file = os.getenv("FINBOARD_WRK_TOKENS")
local all_tokens = {}
if token_file and token_file ~= "" then
  all_tokens = dofile(token_file)
end

local nthreads = tonumber(os.getenv("FINBOARD_WRK_THREADS") or "1")
local nconnections = tonumber(os.getenv("FINBOARD_WRK_CONNECTIONS") or "1")
local requests = config.requests
local count = #requests

-- main state: every thread, to read their tallies in done()
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

-- thread state
statuses = {}
local prepared = {}
local tokens = {}
local position = 0
local token_position = 0

local function headers_for(request, token)
  local headers = {}
  if request[3] then
    headers["Content-Type"] = "application/json"
  end
  if request[5] then
    for name, value in pairs(request[5]) do
      headers[name] = value
    end
  end
  if token and request[4] == "cookie" then
    headers["Cookie"] = token
  elseif token then
    headers["Authorization"] = "Bearer " .. token
  end
  return headers
end

function init(args)
  local index = thread_index or 0
  position = math.floor(index * count / nthreads)
  -- the tokens of this thread's connections (wrk gives thread i connections/threads of them)
  local per_thread = math.max(1, math.floor(nconnections / nthreads))
  for i = 1, per_thread do
    local t = all_tokens[(index * per_thread + i - 1) % math.max(#all_tokens, 1) + 1]
    if t then
      table.insert(tokens, t)
    end
  end
  for i, r in ipairs(requests) do
    if not r[4] then
      prepared[i] = wrk.format(r[1], r[2], headers_for(r, nil), r[3] or nil)
    end
  end
end

function request()
  position = position % count + 1
  local ready = prepared[position]
  if ready then
    return ready
  end
  local r = requests[position]
  token_position = token_position % math.max(#tokens, 1) + 1
  return wrk.format(r[1], r[2], headers_for(r, tokens[token_position]), r[3] or nil)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

-- JSON (global: paced.lua, which loads this script, encodes with it too) --

local function quote(text)
  return '"' .. tostring(text):gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

function encode(value)
  local kind = type(value)
  if kind == "table" then
    local parts = {}
    if #value > 0 then
      for _, v in ipairs(value) do
        table.insert(parts, encode(v))
      end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for k, v in pairs(value) do
      table.insert(parts, quote(k) .. ":" .. encode(v))
    end
    table.sort(parts)
    return "{" .. table.concat(parts, ",") .. "}"
  elseif kind == "number" then
    if value ~= value or value == math.huge or value == -math.huge then
      return "null"
    end
    return string.format("%.17g", value)
  elseif kind == "boolean" then
    return tostring(value)
  elseif kind == "nil" then
    return "null"
  end
  return quote(value)
end

function done(summary, latency, requests_seen)
  local totals = {}
  for _, thread in ipairs(threads) do
    local tally = thread:get("statuses") or {}
    for status, n in pairs(tally) do
      totals[tostring(status)] = (totals[tostring(status)] or 0) + n
    end
  end
  local percentiles = {}
  for _, p in ipairs({50, 75, 90, 99, 99.9}) do
    percentiles[tostring(p)] = latency:percentile(p)
  end
  local document = {
    tool = "wrk",
    threads = #threads,
    connections = nconnections,
    duration_us = summary.duration,
    requests = summary.requests,
    bytes = summary.bytes,
    errors = {
      connect = summary.errors.connect,
      read = summary.errors.read,
      write = summary.errors.write,
      status = summary.errors.status,
      timeout = summary.errors.timeout,
    },
    latency_us = {
      min = latency.min,
      max = latency.max,
      mean = latency.mean,
      stdev = latency.stdev,
      percentiles = percentiles,
    },
    statuses = totals,
    expected = config.expected,
  }
  if extend_document then -- paced.lua (open loop) adds its accounting
    extend_document(document, threads, summary)
  end
  local out = assert(io.open(os.getenv("FINBOARD_WRK_OUT"), "w"))
  out:write(encode(document), "\n")
  out:close()
end
