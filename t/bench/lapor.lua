-- wrk script for t/bench/run and t/bench/leak (Lua for wrk itself; the
-- project's "no Lua" rule is about Redis scripting).
--
-- One script for every scenario, baselines included, so that the client
-- does the same work per request whatever the server behind the URL is.
--
--   wrk -s lapor.lua URL -- mode=post file=BODIES path=/x[,/y] window=10
--                           [ctype=application/x-www-form-urlencoded]
--   wrk -s lapor.lua URL -- mode=getid prefix=/api/v1/reports/ ids=IDS
--   wrk -s lapor.lua URL -- mode=get path=/api/v1/health
--   wrk -s lapor.lua URL -- mode=mixed file=BODIES submit=/api/v1/reports
--                           prefix=/api/v1/reports/ ids=IDS
--                           health=/api/v1/health mix=10:70:20
--
-- BODIES: one JSON report (or, with ctype=, one form) per line; IDS: one
-- report number per line.
--
-- The modes that POST (mode=post, mode=mixed) count the responses of each
-- status and end quietly: window=S: each thread sends requests for S
-- seconds from its first one and then goes quiet (delay() answers one
-- hour), so when wrk stops after its -d no request is in flight: every POST
-- that reached the server has been answered and counted.  Run wrk with -d
-- longer than the window.  This costs wrk about 2 microseconds of CPU per
-- request (Lua calls, header parsing), the same for SUBMIT and its baseline.
--
-- The GET modes are plain wrk (mode=get: a static request, no callbacks;
-- mode=getid: only request(), for the random ids, for STATUS and its
-- baseline alike); their window is wrk's -d and their status count is
-- wrk's own (responses >= 400).
--
-- done() prints one line "BENCH-RESULT {json}" with the requests completed,
-- the window they took (first request to last response, over all
-- threads), the bytes read, the latency percentiles in microseconds, the
-- socket errors and, for the POST modes, the number of responses of each
-- status.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } lapor_bench_timespec;
int clock_gettime(int clk_id, lapor_bench_timespec *tp);
]]

local tsbuf = ffi.new("lapor_bench_timespec")
local function now()
    ffi.C.clock_gettime(1, tsbuf)       -- CLOCK_MONOTONIC
    return tonumber(tsbuf.tv_sec) + tonumber(tsbuf.tv_nsec) * 1e-9
end

---------------------------------------------------------------------------
-- main state: the threads

local threads = {}

function setup(thread)
    thread:set("tid", #threads + 1)
    table.insert(threads, thread)
end

---------------------------------------------------------------------------
-- thread state

first = 0          -- time of the first request
last = 0           -- time of the last response
status = {}        -- status code (as a string) -> count

local reqs = {}    -- the prepared requests, sent round robin
local nreqs = 0
local idx = 0
local window = 10
local deadline = nil
local quiet = false

local function opt(args, name, default)
    for _, a in ipairs(args) do
        local k, v = a:match("^([%w_]+)=(.*)$")
        if k == name then return v end
    end
    if default == nil then
        error("lapor.lua: missing argument " .. name .. "=")
    end
    return default
end

local function read_lines(file)
    local t = {}
    for line in io.lines(file) do
        if #line > 0 then table.insert(t, line) end
    end
    if #t == 0 then error("lapor.lua: no bodies in " .. file) end
    return t
end

-- "a,b,c" as { "a", "b", "c" }
local function split(list)
    local t = {}
    for item in list:gmatch("[^,]+") do table.insert(t, item) end
    return t
end

local function post(path, body, ctype)
    return wrk.format("POST", path,
        { ["Content-Type"] = ctype or "application/json" }, body)
end

local function get(path)
    return wrk.format("GET", path)
end

function init(args)
    local mode = opt(args, "mode")
    window = tonumber(opt(args, "window", "10"))
    math.randomseed(tid * 7919 + os.time())

    if mode == "post" then
        -- path=/a,/b: the requests go to each in turn (t/bench/run
        -- --cluster: two namespaces)
        local paths = split(opt(args, "path"))
        local bodies = read_lines(opt(args, "file"))
        -- ctype=: another content type (Open311's forms)
        local ctype = opt(args, "ctype", "application/json")
        for i = 1, #bodies * #paths do
            -- each thread starts at another body
            local b = bodies[(i + tid * 7) % #bodies + 1]
            table.insert(reqs, post(paths[i % #paths + 1], b, ctype))
        end

    elseif mode == "get" then
        -- plain wrk: one static request, no callbacks
        wrk.path = opt(args, "path")
        request, response, delay = nil, nil, nil
        return

    elseif mode == "getid" then
        -- plain wrk but for request(), which hands out random ids
        -- prefix=/a/,/b/: each in turn (as path= of mode=post)
        local prefixes = split(opt(args, "prefix"))
        local ids = read_lines(opt(args, "ids"))
        for i = 1, 8192 do
            table.insert(reqs, get(prefixes[i % #prefixes + 1]
                .. ids[math.random(#ids)]))
        end
        response, delay = nil, nil

    elseif mode == "mixed" then
        -- mix=S:V:H: submissions, public views and health checks in these
        -- proportions (default 10:70:20)
        local bodies = read_lines(opt(args, "file"))
        local submit = opt(args, "submit")
        local prefix = opt(args, "prefix")
        local health = opt(args, "health")
        local ids = read_lines(opt(args, "ids"))
        local ws, wv, wh = opt(args, "mix", "10:70:20"):match(
            "^(%d+):(%d+):(%d+)$")
        ws, wv, wh = tonumber(ws), tonumber(wv), tonumber(wh)
        for i = 1, 8192 do
            local r = math.random() * (ws + wv + wh)
            if r < ws then
                table.insert(reqs, post(submit, bodies[i % #bodies + 1]))
            elseif r < ws + wv then
                table.insert(reqs, get(prefix .. ids[math.random(#ids)]))
            else
                table.insert(reqs, get(health))
            end
        end

    else
        error("lapor.lua: unknown mode " .. mode)
    end

    nreqs = #reqs
end

function delay()
    if quiet then
        return 3600000
    end
    local t = now()
    if deadline == nil then
        first = t
        deadline = t + window
    elseif t >= deadline then
        quiet = true
        return 3600000
    end
    return 0
end

function request()
    idx = idx % nreqs + 1
    return reqs[idx]
end

function response(code, headers, body)
    local k = tostring(code)
    status[k] = (status[k] or 0) + 1
    last = now()
end

---------------------------------------------------------------------------
-- main state: the summary

function done(summary, latency, requests)
    local t0, t1 = nil, 0
    local counts = {}
    for _, thread in ipairs(threads) do
        local f, l = thread:get("first"), thread:get("last")
        if f and f > 0 and (t0 == nil or f < t0) then t0 = f end
        if l and l > t1 then t1 = l end
        for k, v in pairs(thread:get("status") or {}) do
            counts[k] = (counts[k] or 0) + v
        end
    end

    if t0 == nil then
        -- plain wrk: the run's duration
        t0, t1 = 0, summary.duration / 1e6
    end

    local st = {}
    for k, v in pairs(counts) do
        table.insert(st, string.format('"%s":%d', k, v))
    end
    table.sort(st)

    local e = summary.errors
    io.write(string.format(
        'BENCH-RESULT {"requests":%d,"bytes":%d,"window":%.6f,'
        .. '"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
        .. '"max_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,'
        .. '"timeout":%d,"status":%d},"status":{%s}}\n',
        summary.requests, summary.bytes, (t0 and t1 > t0) and (t1 - t0) or 0,
        latency.mean, latency:percentile(50), latency:percentile(90),
        latency:percentile(99), latency.max,
        e.connect, e.read, e.write, e.timeout, e.status,
        table.concat(st, ",")))
end
