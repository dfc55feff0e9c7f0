# `sls-rs invoke local` for Ruby handlers: loads the handler's file from the service directory,
# calls the method (`file.method`, or `file.Module::Class.method`) with `event:` and `context:`
# as Lambda does, and prints the result as JSON on stdout. The timeout is enforced by sls-rs,
# which stops this process. Written for sls-rs (ARCHITECTURE.md, "invoke local").
#
# argv: <service directory> <file, without .rb> <method> <timeout seconds>; stdin: JSON
# {event, context: {...}, userContext}. Exit 0 with the result; 1 with Lambda's error shape.
require 'json'
require 'securerandom'

service_dir, file, name, timeout = ARGV[0], ARGV[1], ARGV[2], ARGV[3].to_f
request = JSON.parse($stdin.read)
c = request['context']
deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout

class LambdaContext
  attr_reader :function_name, :function_version, :invoked_function_arn, :memory_limit_in_mb,
              :aws_request_id, :log_group_name, :log_stream_name, :identity, :client_context

  def initialize(c, deadline)
    @function_name = c['functionName']
    @function_version = '$LATEST'
    @invoked_function_arn = "arn:aws:lambda:#{c['region']}:000000000000:function:#{c['functionName']}"
    @memory_limit_in_mb = c['memoryLimitInMB'].to_s
    @aws_request_id = SecureRandom.uuid
    @log_group_name = c['logGroupName']
    @log_stream_name = c['logStreamName']
    @identity = nil
    @client_context = nil
    @deadline = deadline
  end

  def get_remaining_time_in_millis
    [((@deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)) * 1000).to_i, 0].max
  end
end

context = LambdaContext.new(c, deadline)
(request['userContext'] || {}).each do |key, value|
  context.define_singleton_method(key.to_sym) { value }
end

def fail_with(kind, message, trace)
  $stdout.write(JSON.pretty_generate({ 'errorType' => kind, 'errorMessage' => message, 'stackTrace' => trace }) + "\n")
  $stdout.flush
  exit 1
end

$LOAD_PATH.unshift(service_dir)
begin
  require File.join(service_dir, file)
rescue LoadError, SyntaxError => e
  fail_with('Runtime.ImportModuleError', e.message, e.backtrace || [])
end
owner, method = name.include?('.') ? name.split('.', 2) : [nil, name]
target = begin
  owner ? Object.const_get(owner) : self
rescue NameError
  fail_with('Runtime.HandlerNotFound', "#{file}.rb has no #{owner}", [])
end
unless target.respond_to?(method.to_sym, true)
  fail_with('Runtime.HandlerNotFound', "#{file}.rb has no method #{name}", [])
end
begin
  result = target.send(method.to_sym, event: request['event'], context: context)
rescue StandardError => e
  fail_with(e.class.name, e.message, (e.backtrace || []).reject { |l| l.include?(__FILE__) })
end
$stdout.write(JSON.pretty_generate(result) + "\n") unless result.nil?
