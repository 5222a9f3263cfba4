-- Send distinct requests read from BENCH_REQUESTS, one "METHOD<TAB>path<TAB>body" a line (the body
-- may be empty): answer saves, or GETs spread over many records (PDFs of different certificates).
-- Each thread takes every nthreads-th line, so no two threads save the same item at the same time.
-- Headers (Cookie, X-CSRFToken, Content-Type) come in with -H. When a thread runs out of lines it
-- starts again and counts a wrap (reported by bench/load.py): saves then conflict.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local prepared = {}
local position = 0
wrapped = 0

function init(args)
   local headers = {}
   for name, value in pairs(wrk.headers) do
      headers[name] = value
   end
   local index = 0
   for line in io.lines(os.getenv("BENCH_REQUESTS")) do
      if index % nthreads == id - 1 then
         local method, path, body = line:match("^(%u+)\t([^\t]*)\t(.*)$")
         if body == "" then
            body = nil
         end
         table.insert(prepared, wrk.format(method, path, headers, body))
      end
      index = index + 1
   end
end

function request()
   count_request()
   position = position + 1
   if position > #prepared then
      position = 1
      wrapped = wrapped + 1
   end
   return prepared[position]
end
