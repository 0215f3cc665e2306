'use strict';
/*
 * One Node.js execution environment: `node node_worker.cjs FILE FUNCTION IN_FD OUT_FD`.
 *
 * Loads the handler once (the cold start: require for CommonJS, import() for ES modules), then
 * runs one event per frame from the proxy as Lambda's Node.js runtime does: the three handler
 * styles (async, a returned promise, a callback honouring context.callbackWaitsForEmptyEventLoop),
 * Lambda's context fields, console output captured per invocation in Lambda's format, and errors
 * reported as errorType/errorMessage/stackTrace. Frames follow runtimes/protocol.py.
 * `--check FILE FUNCTION` only loads the handler and prints why it cannot run.
 *
 * The parent sets the environment variables, the working directory, the process group and the
 * memory limits (--max-old-space-size and RLIMIT_DATA), and enforces the timeout by killing us.
 */

const fs = require('fs');
const net = require('net');
const path = require('path');
const util = require('util');
const { performance } = require('perf_hooks');
const { pathToFileURL } = require('url');

const LOG_CAP = 256 * 1024; // CloudWatch's largest log event; past it, one invocation's output is cut
const MAX_FRAME = 64 * 1024 * 1024; // protocol.MAX_FRAME

// --- console, in the Lambda Node.js runtime's format: <time>\t<request id>\t<LEVEL>\t<message>

const capture = { requestId: undefined, lines: [], size: 0 }; // "undefined" during init, as on Lambda

function emit(level, args) {
  const message = util.format(...args);
  if (capture.size >= LOG_CAP) return;
  capture.size += message.length;
  capture.lines.push(`${new Date().toISOString()}\t${capture.requestId}\t${level}\t${message}`);
}

function takeLogs() {
  const lines = capture.lines;
  capture.lines = [];
  capture.size = 0;
  return lines;
}

console.log = console.info = (...args) => emit('INFO', args);
console.warn = (...args) => emit('WARN', args);
console.error = (...args) => emit('ERROR', args);
console.debug = (...args) => emit('DEBUG', args);
console.trace = (...args) => emit('TRACE', [util.format(...args) + '\n' + new Error().stack.split('\n').slice(2).join('\n')]);

// --- frames

function writeFrame(fd, payloadText) {
  const payload = Buffer.from(payloadText, 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  let data = Buffer.concat([header, payload]);
  while (data.length) data = data.subarray(fs.writeSync(fd, data));
}

function readFrames(fd, onMessage) {
  const input = new net.Socket({ fd, readable: true, writable: false });
  let buffered = Buffer.alloc(0);
  input.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const length = buffered.readUInt32BE(0);
      if (length > MAX_FRAME) throw new Error(`frame of ${length} bytes is over the ${MAX_FRAME} byte limit`);
      if (buffered.length < 4 + length) break;
      const payload = buffered.subarray(4, 4 + length).toString('utf8');
      buffered = buffered.subarray(4 + length);
      onMessage(JSON.parse(payload));
    }
  });
  input.on('end', () => process.exit(0)); // the proxy closed the pipe: this environment is done
  return input;
}

// --- errors, as the runtime reports them (errorType is the error's name; non-errors their typeof)

class RuntimeError extends Error {
  // An error the runtime reports under one of its own errorTypes, e.g. Runtime.HandlerNotFound.
  constructor(errorType, message) {
    super(message);
    this.errorType = errorType;
  }
}

function lambdaError(error) {
  if (error instanceof RuntimeError) return { errorType: error.errorType, errorMessage: error.message, stackTrace: [] };
  if (error instanceof Error || util.types.isNativeError(error)) {
    return { errorType: error.name, errorMessage: error.message, stackTrace: String(error.stack || '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), stackTrace: [] };
}

function logError(label, error) {
  const { errorType, errorMessage, stackTrace } = error;
  emit('ERROR', [label, '\t' + JSON.stringify({ errorType, errorMessage, stack: stackTrace })]);
}

// --- loading

async function importModule(file) {
  if (path.extname(file) === '.mjs') return import(pathToFileURL(file).href);
  try {
    return require(file);
  } catch (e) {
    // An ES module in a .js file ("type": "module"): older Node refuses to require() any, newer
    // ones those with top-level await.
    if (e.code === 'ERR_REQUIRE_ESM' || e.code === 'ERR_REQUIRE_ASYNC_MODULE') return import(pathToFileURL(file).href);
    throw e;
  }
}

async function load(file, functionName) {
  const name = `${path.basename(file, path.extname(file))}.${functionName}`; // Lambda's "module.handler"
  let module;
  try {
    module = await importModule(file);
  } catch (e) {
    if (e instanceof SyntaxError) throw new RuntimeError('Runtime.UserCodeSyntaxError', `${e.name}: ${e.message}`);
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      throw new RuntimeError('Runtime.ImportModuleError', `Error: ${e.message.split('\n')[0]}`);
    }
    throw e; // anything else thrown by module-level code keeps its own type, as on Lambda
  }
  const handler = module[functionName];
  if (handler === undefined) throw new RuntimeError('Runtime.HandlerNotFound', `${name} is undefined or not exported`);
  if (typeof handler !== 'function') throw new RuntimeError('Runtime.HandlerNotFound', `${name} is not a function`);
  return handler;
}

// --- one invocation

let onEmptyLoop = null; // what to answer if the event loop drains before the handler answers
let crash = null; // fails the running invocation on an uncaught exception or unhandled rejection

process.on('beforeExit', () => {
  const answer = onEmptyLoop;
  onEmptyLoop = null;
  if (answer) answer();
});

function makeContext(requestId, timeoutMs, legacy) {
  const env = process.env;
  const deadline = performance.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${env.AWS_LAMBDA_FUNCTION_NAME}:${env.AWS_LAMBDA_FUNCTION_VERSION}`,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, // a string, as on Lambda
    awsRequestId: requestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: undefined,
    clientContext: undefined,
    getRemainingTimeInMillis: () => Math.max(0, Math.floor(deadline - performance.now())),
    // The pre-callback API: answers at once, without waiting for the event loop.
    succeed: (result) => legacy(null, result),
    fail: (error) => legacy(error ?? 'handled'),
    done: (error, result) => legacy(error, result),
  };
}

function invoke(handler, message, input, outFd) {
  capture.requestId = message.request_id;
  let answered = false;
  const answer = (body, broken = false) => {
    if (answered) return; // Lambda ignores every answer after the first
    answered = true;
    onEmptyLoop = crash = null;
    const memory = Math.floor(process.resourceUsage().maxRSS / 1024);
    const extra = `"logs":${JSON.stringify(takeLogs())},"max_memory_mb":${memory},"broken":${broken}`;
    writeFrame(outFd, `{${body},${extra}}`);
    input.ref(); // back to waiting for the next event
  };
  const succeed = (result) => {
    let json;
    try {
      json = JSON.stringify(result === undefined ? null : result);
    } catch (e) {
      return fail(new RuntimeError('Runtime.MarshalError', `Unable to stringify response body: ${e.message}`));
    }
    answer(`"result":${json === undefined ? 'null' : json}`);
  };
  const fail = (error, label = 'Invoke Error', broken = false) => {
    const reported = lambdaError(error);
    logError(label, reported);
    answer(`"error":${JSON.stringify(reported)}`, broken);
  };
  const context = makeContext(message.request_id, message.timeout_ms, (error, result) => {
    if (error !== undefined && error !== null) fail(error);
    else succeed(result);
  });
  const callback = (error, result) => {
    if (answered) return; // a late call must not take over the next invocation's answer
    if (error !== undefined && error !== null) return fail(error);
    if (!context.callbackWaitsForEmptyEventLoop) return succeed(result);
    onEmptyLoop = () => setImmediate(() => succeed(result));
  };
  // Until the handler answers, only its own work may keep the loop alive: when that drains,
  // the callback's result (or null, if it never answered) is sent, as the Lambda runtime does.
  onEmptyLoop = () => succeed(null);
  crash = (error, label) => fail(error, label, true);
  input.unref();
  try {
    const result = handler(message.event, context, callback);
    if (result && typeof result.then === 'function') result.then(succeed, fail);
  } catch (e) {
    fail(e);
  }
}

// An uncaught error fails the running invocation and retires the environment. Between
// invocations (a rejected promise nobody awaited) it is logged and costs no request.
function uncaught(error, label) {
  if (crash) crash(error, label);
  else logError(label, lambdaError(error));
}
process.on('uncaughtException', (error) => uncaught(error, 'Uncaught Exception'));
process.on('unhandledRejection', (reason) => {
  const message = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  uncaught(new RuntimeError('Runtime.UnhandledPromiseRejection', message), 'Unhandled Promise Rejection');
});

// --- main

async function serve(file, functionName, inFd, outFd) {
  const started = performance.now();
  let handler;
  try {
    handler = await load(file, functionName);
  } catch (e) {
    writeFrame(outFd, JSON.stringify({ error: lambdaError(e), logs: takeLogs() }));
    process.exit(0);
  }
  writeFrame(outFd, JSON.stringify({ ready: true, init_ms: performance.now() - started, logs: takeLogs() }));
  const input = readFrames(inFd, (message) => invoke(handler, message, input, outFd));
}

async function check(file, functionName) {
  let verdict = '';
  try {
    await load(file, functionName);
  } catch (e) {
    const { errorType, errorMessage } = lambdaError(e);
    verdict = `${errorType}: ${errorMessage}`;
  }
  fs.writeSync(1, verdict);
  process.exit(0); // module-level timers or servers must not keep the check alive
}

const argv = process.argv.slice(2);
if (argv[0] === '--check') check(path.resolve(argv[1]), argv[2]);
else serve(path.resolve(argv[0]), argv[1], Number(argv[2]), Number(argv[3]));
