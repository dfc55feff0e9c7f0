// `sls-rs invoke local` for Node.js handlers: loads the handler module (CommonJS or an ES
// module), calls it as Lambda's Node.js runtime does (async, callback, context.succeed/fail/done)
// with a context whose getRemainingTimeInMillis counts down the function's timeout, and prints
// the result as JSON on stdout. Written for sls-rs (ARCHITECTURE.md, "invoke local").
//
// argv: <module path without extension> <export name> <timeout seconds>; stdin: JSON
// {event, context: {functionName, memoryLimitInMB, logGroupName, logStreamName, region, …}}.
// Exit 0 with the result; 1 with Lambda's error shape {errorType, errorMessage, stackTrace}.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { pathToFileURL } = require('url');

const [, , base, exportName, timeoutArg] = process.argv;
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const timeoutMs = Number(timeoutArg) * 1000;
const deadline = Date.now() + timeoutMs;
let finished = false;

function finish(error, result) {
  if (finished) return;
  finished = true;
  if (error) {
    const e = error instanceof Error ? error : Object.assign(new Error(String(error)), { name: 'Error' });
    const shape = {
      errorType: e.name || 'Error',
      errorMessage: e.message,
      // The handler's frames, not this runner's.
      stackTrace: e.name === 'TimeoutError' || typeof e.stack !== 'string'
        ? []
        : e.stack.split('\n').slice(1).map((l) => l.trim()).filter((l) => !l.includes(__filename)),
    };
    process.stdout.write(JSON.stringify(shape, null, 4) + '\n', () => process.exit(1));
    return;
  }
  const text = result === undefined ? '' : JSON.stringify(result, null, 4) + '\n';
  process.stdout.write(text, () => process.exit(0));
}

async function load() {
  const candidates = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).filter((f) => fs.existsSync(f));
  if (!candidates.length) {
    const others = ['.ts', '.mts', '.cts'].map((ext) => base + ext).filter((f) => fs.existsSync(f));
    const hint = others.length ? ` (${path.basename(others[0])} is TypeScript: build it to JavaScript first)` : '';
    throw Object.assign(new Error(`the handler module ${base}.js does not exist${hint}`), { name: 'Runtime.ImportModuleError' });
  }
  const file = candidates[0];
  let mod;
  if (file.endsWith('.mjs')) {
    mod = await import(pathToFileURL(file).href);
  } else {
    try {
      mod = require(file);
    } catch (e) {
      if (e.code !== 'ERR_REQUIRE_ESM') throw e;
      mod = await import(pathToFileURL(file).href);
    }
  }
  let fn = mod && mod[exportName];
  if (fn === undefined && mod && mod.default && typeof mod.default === 'object') fn = mod.default[exportName];
  if (typeof fn !== 'function') {
    throw Object.assign(new Error(`${path.basename(file)} does not export a function named ${exportName}`), { name: 'Runtime.HandlerNotFound' });
  }
  return fn;
}

async function main() {
  const c = input.context;
  const context = Object.assign(
    {
      callbackWaitsForEmptyEventLoop: true,
      functionName: c.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${c.region}:000000000000:function:${c.functionName}`,
      memoryLimitInMB: String(c.memoryLimitInMB),
      awsRequestId: crypto.randomUUID(),
      logGroupName: c.logGroupName,
      logStreamName: c.logStreamName,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: (error, result) => finish(error, result),
      succeed: (result) => finish(null, result),
      fail: (error) => finish(error || new Error('handler failed')),
    },
    input.userContext || {},
  );
  setTimeout(() => {
    finish(Object.assign(new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`), { name: 'TimeoutError' }));
  }, timeoutMs).unref();
  // A handler that neither returns a promise nor calls back ends when nothing is left to do.
  process.on('beforeExit', () => finish(null, null));
  const handler = await load();
  const returned = handler(input.event, context, (error, result) => finish(error, result));
  if (returned && typeof returned.then === 'function') {
    finish(null, await returned);
  }
}

main().catch((e) => finish(e));
