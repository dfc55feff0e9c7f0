# `sls-rs invoke local` for Python handlers: imports the handler's module from the service
# directory, calls it with the event and a context whose get_remaining_time_in_millis counts
# down the function's timeout, and prints the result as JSON on stdout. Written for sls-rs
# (ARCHITECTURE.md, "invoke local").
#
# argv: <service directory> <module path, dotted> <function name> <timeout seconds>; stdin: JSON
# {event, context: {...}}. Exit 0 with the result; 1 with Lambda's error shape.
import importlib, json, signal, sys, time, traceback, uuid

service_dir, module_name, function_name, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
request = json.load(sys.stdin)
c = request["context"]
deadline = time.time() + timeout


class Context:
    function_name = c["functionName"]
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:%s:000000000000:function:%s" % (c["region"], c["functionName"])
    memory_limit_in_mb = str(c["memoryLimitInMB"])
    aws_request_id = str(uuid.uuid4())
    log_group_name = c["logGroupName"]
    log_stream_name = c["logStreamName"]
    identity = None
    client_context = None

    def get_remaining_time_in_millis(self):
        return max(0, int((deadline - time.time()) * 1000))


context = Context()
for key, value in (request.get("userContext") or {}).items():
    setattr(context, key, value)


class TimeoutError_(Exception):
    pass


def on_timeout(signum, frame):
    raise TimeoutError_("Task timed out after %.2f seconds" % timeout)


def fail(kind, message, trace):
    sys.stdout.write(json.dumps({"errorType": kind, "errorMessage": message, "stackTrace": trace}, indent=4) + "\n")
    sys.stdout.flush()
    sys.exit(1)


sys.path.insert(0, service_dir)
signal.signal(signal.SIGALRM, on_timeout)
signal.setitimer(signal.ITIMER_REAL, timeout)
try:
    module = importlib.import_module(module_name)
    handler = getattr(module, function_name, None)
    if not callable(handler):
        fail("Runtime.HandlerNotFound", "module %s has no function %s" % (module_name, function_name), [])
    result = handler(request["event"], context)
    signal.setitimer(signal.ITIMER_REAL, 0)
except TimeoutError_ as e:
    fail("TimeoutError", str(e), [])
except Exception as e:
    signal.setitimer(signal.ITIMER_REAL, 0)
    fail(type(e).__name__, str(e), [line.strip() for line in traceback.format_tb(e.__traceback__)[1:]])
if result is not None:
    sys.stdout.write(json.dumps(result, indent=4, default=str) + "\n")
