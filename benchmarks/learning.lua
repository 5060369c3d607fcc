-- wrk script for the learning-loop benchmarks (benchmarks/run.py --only learning).
--
--   wrk -t2 -c64 -d15s --latency -s benchmarks/learning.lua URL -- MODE FILE THREADS SEQ_BASE
--
-- MODE heartbeat: FILE lists live playback ids, one a line. Thread i of THREADS takes every
--   THREADS-th playback and posts them round-robin, so a playback is never posted by two threads
--   and its seq grows strictly in the order requests are sent: SEQ_BASE + the round number.
--   Each beat is a plausible 10-second segment of the 3,600 s video.
-- MODE pages: FILE lists "SESSION_KEY<TAB>PATH" lines; each thread rotates over all of them,
--   one learner per request (thread i starts at line i), sending the learner's session cookie.
-- MODE get: the URL's path, no cookie (GET /healthz).
-- Every mode counts responses whose status is not 200 (wrk's own count misses 3xx, such as a
-- redirect to the login page) and prints "status_not_200 N" at the end.

local threads = {}
local counter = 0
local not_200 = 0
local items = {}

function setup(thread)
   thread:set("thread_index", #threads)
   table.insert(threads, thread)
end

function init(args)
   mode = args[1] or "get"
   local file, nthreads = args[2], tonumber(args[3] or "1")
   seq_base = tonumber(args[4] or "0")
   if mode == "heartbeat" then
      local i = 0
      for line in io.lines(file) do
         if line ~= "" then
            if i % nthreads == thread_index then
               table.insert(items, line)
            end
            i = i + 1
         end
      end
      headers = { ["Content-Type"] = "application/json" }
   elseif mode == "pages" then
      for line in io.lines(file) do
         local key, path = line:match("^([^\t]+)\t(.+)$")
         if key then
            table.insert(items, { "sessionid=" .. key, path })
         end
      end
      counter = thread_index
   end
end

function request()
   if mode == "heartbeat" then
      local n = #items
      local id = items[counter % n + 1]
      local seq = seq_base + math.floor(counter / n)
      counter = counter + 1
      local start = (seq * 10) % 3590
      local body = string.format(
         '{"playback": "%s", "beats": [{"seq": %d, "start": %d, "end": %d, "position": %d, "event": "tick"}]}',
         id, seq, start, start + 10, start + 10)
      return wrk.format("POST", "/learn/heartbeat", headers, body)
   elseif mode == "pages" then
      local item = items[counter % #items + 1]
      counter = counter + 1
      return wrk.format("GET", item[2], { ["Cookie"] = item[1] })
   end
   return wrk.format("GET")
end

function response(status, headers, body)
   if status ~= 200 then
      not_200 = not_200 + 1
   end
end

function done(summary, latency, requests)
   local total = 0
   for _, thread in ipairs(threads) do
      total = total + (thread:get("not_200") or 0)
   end
   io.write(string.format("status_not_200 %d\n", total))
end
