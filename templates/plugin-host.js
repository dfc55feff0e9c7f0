// The sls-rs plugin host: loads a service's Serverless Framework v3 plugins and runs their
// lifecycle hooks when sls-rs asks. Written for sls-rs (ARCHITECTURE.md, "Plugins"); nothing of
// the Serverless Framework is used or copied.
//
// Protocol: one JSON object per line, both ways, on file descriptor 3 (a socket sls-rs hands
// over), read and written synchronously, so a plugin's synchronous calls (`naming.*`) can be
// answered by sls-rs in the middle of a hook. The plugins' own output (console.log, child
// processes) goes to sls-rs's standard error, never into the protocol.
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');
const { pathToFileURL } = require('url');

// NODE_EXTRA_CA_CERTS, taken when first needed: Node reads the file as it starts (0.09 s for a
// system bundle), so sls-rs passes it as SLS_RS_EXTRA_CA_CERTS, and its certificates are added
// to each TLS context made with the default roots, which is what Node does with the variable.
// Child processes get the variable back.
const extraCa = process.env.SLS_RS_EXTRA_CA_CERTS;
if (extraCa) {
  delete process.env.SLS_RS_EXTRA_CA_CERTS;
  process.env.NODE_EXTRA_CA_CERTS = extraCa;
  const tls = require('tls');
  const createSecureContext = tls.createSecureContext;
  let pems = null;
  tls.createSecureContext = function (options, ...rest) {
    const context = createSecureContext.call(this, options, ...rest);
    if (!options || !options.ca) {
      if (pems === null) {
        try {
          const text = fs.readFileSync(extraCa, 'latin1');
          pems = text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) || [];
        } catch (e) {
          // Node's own warning when the file cannot be read.
          process.emitWarning(`Ignoring extra certs from \`${extraCa}\`, load failed: ${e.message}`);
          pems = [];
        }
      }
      for (const pem of pems) context.context.addCACert(pem);
    }
    return context;
  };
}

const FD = 3;
let pending = '';

// Where the time goes (ms), printed at exit with SLS_RS_PLUGIN_CACHE_DEBUG=1: Node's start and the
// module cache's set-up (since the process started), loading and constructing the plugins, their
// hooks, and waiting for sls-rs.
const timing = { ready: performance.now(), load: 0, hooks: 0, waiting: 0 };
if (process.env.SLS_RS_PLUGIN_CACHE_DEBUG === '1') {
  process.once('exit', () => {
    const t = Object.entries(timing).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ');
    process.stderr.write(`plugin host (ms): ${t}, exit at ${Math.round(performance.now())}\n`);
  });
}

function send(message) {
  const line = JSON.stringify(message) + '\n';
  const buf = Buffer.from(line);
  let off = 0;
  while (off < buf.length) off += fs.writeSync(FD, buf, off);
}

function receive() {
  const buf = Buffer.alloc(65536);
  for (;;) {
    const nl = pending.indexOf('\n');
    if (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      return JSON.parse(line);
    }
    let n;
    const t = performance.now();
    try {
      n = fs.readSync(FD, buf, 0, buf.length, null);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      throw e;
    } finally {
      timing.waiting += performance.now() - t;
    }
    if (n === 0) process.exit(0);
    pending += buf.toString('utf8', 0, n);
  }
}

/// Asks sls-rs and waits for its answer.
function ask(message) {
  send(message);
  const answer = receive();
  if (answer.error) {
    const e = new ServerlessError(answer.error, answer.code || 'SLS_RS');
    // As v3 wraps an AWS error: the service's own error under `providerError`.
    if (answer.statusCode) e.providerError = { code: answer.code, statusCode: answer.statusCode, message: answer.error, retryable: false };
    throw e;
  }
  return answer.value;
}

class ServerlessError extends Error {
  constructor(message, code) {
    super(message);
    this.name = 'ServerlessError';
    this.code = code;
  }
}

// ---------------------------------------------------------------- logging (v3's plugin utils)

function writer(prefix) {
  return (...args) => process.stderr.write(prefix + args.map(String).join(' ') + '\n');
}
function logger(plugin) {
  const base = writer('');
  const log = (...a) => base(...a);
  for (const level of ['error', 'warning', 'notice', 'info', 'success', 'skip']) {
    log[level] = level === 'error' ? writer(`error (${plugin}): `) : level === 'warning' ? writer(`warning (${plugin}): `) : base;
  }
  const verbose = process.env.SLS_RS_VERBOSE === '1';
  // v3 shows `info` only with --verbose (its default level is `notice`).
  if (!verbose) log.info = () => {};
  log.verbose = verbose ? writer(`(${plugin}) `) : () => {};
  log.debug = log.verbose;
  log.get = () => log;
  return log;
}
const silentProgress = { notice() {}, info() {}, update() {}, remove() {} };
const progress = { get: () => silentProgress, create: () => silentProgress };

// ---------------------------------------------------------------- the `serverless` object

function clone(v) {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

function buildServerless(req) {
  const config = req.config;
  const functions = config.functions || {};
  for (const [key, fn] of Object.entries(functions)) {
    if (!fn.name) fn.name = req.functionNames[key];
    if (!fn.events) fn.events = [];
  }
  const provider = Object.assign({}, config.provider, {
    stage: req.stage,
    region: req.region,
    compiledCloudFormationTemplate: { AWSTemplateFormatVersion: '2010-09-09', Resources: {}, Outputs: {} },
  });
  // As v3 holds it: the bucket's name in `deploymentBucket`, its settings in `deploymentBucketObject`.
  if (provider.deploymentBucket && typeof provider.deploymentBucket === 'object') {
    provider.deploymentBucketObject = provider.deploymentBucket;
    provider.deploymentBucket = provider.deploymentBucket.name;
  }
  const service = Object.assign({}, config, {
    service: req.serviceName,
    serviceObject: { name: req.serviceName },
    provider,
    functions,
    layers: config.layers || {},
    custom: config.custom || {},
    package: config.package || {},
    plugins: config.plugins,
    getServiceName: () => service.service,
    getServiceObject: () => service.serviceObject,
    getAllFunctions: () => Object.keys(service.functions),
    getAllFunctionsNames: () => Object.values(service.functions).map((f) => f.name),
    getFunction(name) {
      if (service.functions[name]) return service.functions[name];
      throw new ServerlessError(`Function "${name}" doesn't exist in this Service`, 'FUNCTION_MISSING_IN_SERVICE');
    },
    // v3 names functions added later (serverless-lift's workers) when they are set up.
    setFunctionNames() {
      for (const [key, fn] of Object.entries(service.functions)) {
        if (!fn.events) fn.events = [];
        if (!fn.name) fn.name = naming['sls-rs:defaultFunctionName'](key);
      }
    },
    getAllLayers: () => Object.keys(service.layers || {}),
    getLayer: (name) => (service.layers || {})[name],
    getAllEventsInFunction: (name) => service.getFunction(name).events || [],
    getEventInFunction(event, name) {
      const found = service.getAllEventsInFunction(name).find((e) => Object.keys(e)[0] === event);
      if (!found) throw new ServerlessError(`Event "${event}" doesn't exist in function "${name}"`, 'EVENT_MISSING_FOR_FUNCTION');
      return found;
    },
    update(data) {
      Object.assign(service, data);
      return service;
    },
  });
  for (const key of Object.keys(service)) {
    if (typeof service[key] === 'function') Object.defineProperty(service, key, { enumerable: false });
  }

  const naming = new Proxy({}, {
    get: (_, fn) => (typeof fn !== 'string' || fn === 'then' ? undefined : (...args) => {
      const v = ask({ op: 'naming', fn, args });
      return v && typeof v === 'object' && typeof v.$regexp === 'string' ? new RegExp(v.$regexp) : v;
    }),
  });
  const aws = {
    naming,
    getRegion: () => serverless.processedInput.options.region || req.region,
    getStage: () => serverless.processedInput.options.stage || req.stage,
    getDeploymentPrefix: () => (config.provider && config.provider.deploymentPrefix) || 'serverless',
    getApiGatewayRestApiId: () => (provider.apiGateway && provider.apiGateway.restApiId) || { Ref: 'ApiGatewayRestApi' },
    getApiGatewayRestApiRootResourceId: () =>
      (provider.apiGateway && provider.apiGateway.restApiRootResourceId) || { 'Fn::GetAtt': ['ApiGatewayRestApi', 'RootResourceId'] },
    getApiGatewayPredefinedResources: () => Object.entries((provider.apiGateway && provider.apiGateway.restApiResources) || {}).map(([p, id]) => ({ path: p, resourceId: id })),
    getServerlessDeploymentBucketName: async () => ask({ op: 'bucket' }),
    // For plugins that make their own AWS clients: the credentials sls-rs signs with.
    getCredentials() {
      const c = ask({ op: 'credentials' });
      return { credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken }, region: c.region };
    },
    request: async (svc, method, params) => ask({ op: 'request', service: svc, method, params: params || {} }),
  };
  const options = req.options;
  const serverless = {
    version: req.version,
    getVersion: () => req.version,
    serviceDir: req.serviceDir,
    configurationFilename: req.configFile,
    configurationInput: config,
    instanceId: req.instanceId,
    service,
    // v3's Config: `servicePath` and `serviceDir` are one value, settable (plugins that compile
    // into a build folder, such as serverless-plugin-typescript, move it there and back).
    config: {
      get serviceDir() { return serverless.serviceDir; },
      set serviceDir(v) { serverless.serviceDir = v; },
      get servicePath() { return serverless.serviceDir; },
      set servicePath(v) { serverless.serviceDir = v; },
    },
    processedInput: { commands: req.commands, options },
    variables: { service, options },
    providers: { aws },
    getProvider: (name) => (name === 'aws' ? aws : undefined),
    setProvider() {},
    cli: { log: writer(''), consoleLog: writer(''), printDot: () => process.stderr.write('.') },
    classes: { Error: ServerlessError },
    utils: {
      fileExistsSync: (p) => { try { return fs.statSync(p).isFile(); } catch { return false; } },
      dirExistsSync: (p) => { try { return fs.statSync(p).isDirectory(); } catch { return false; } },
      readFileSync(p) {
        const text = fs.readFileSync(p, 'utf8');
        if (p.endsWith('.json')) return JSON.parse(text);
        if (/\.ya?ml$/.test(p)) return ask({ op: 'yaml', text });
        return text.trim();
      },
      writeFileDir: (p) => fs.mkdirSync(path.dirname(p), { recursive: true }),
      writeFileSync(p, contents) {
        fs.mkdirSync(path.dirname(p), { recursive: true });
        const text = typeof contents === 'string' ? contents : JSON.stringify(contents, null, 2);
        fs.writeFileSync(p, text);
      },
      getTmpDirPath: () => fs.mkdtempSync(path.join(require('os').tmpdir(), 'sls-rs-')),
    },
    configSchemaHandler: {
      defineTopLevelProperty: (name, schema) => schemaCalls.push({ kind: 'topLevel', name, schema }),
      defineCustomProperties: (schema) => schemaCalls.push({ kind: 'custom', schema }),
      defineFunctionEvent: (provider_, name, schema) => schemaCalls.push({ kind: 'functionEvent', name, schema }),
      defineFunctionEventProperties: (provider_, name, schema) => schemaCalls.push({ kind: 'functionEventProperties', name, schema }),
      defineFunctionProperties: (provider_, schema) => schemaCalls.push({ kind: 'function', schema }),
      defineProvider() {},
    },
  };
  aws.serverless = serverless;
  aws.provider = aws;
  serverless.pluginManager = {
    cliOptions: options,
    // v3's core plugins are not here, except what plugins look up in them: the REST API
    // events as v3's AwsCompileApigEvents validates them (serverless-plugin-split-stacks'
    // perFunction reads them).
    plugins: [new AwsCompileApigEvents(() => service, naming)],
    hooks,
    commands: {},
    getPlugins: () => serverless.pluginManager.plugins,
    spawn: async (cmd) => {
      const events = Array.isArray(cmd) ? cmd.join(':') : String(cmd);
      const known = commandEvents(events);
      if (!known) throw new ServerlessError(`sls-rs cannot run "${events}" from a plugin: it is not a plugin command`, 'SLS_RS_SPAWN');
      for (const e of known) await runEvent(e);
    },
  };
  return serverless;
}

class AwsCompileApigEvents {
  constructor(service, naming) {
    this.service = service;
    this.naming = naming;
  }

  get validated() {
    const events = [];
    for (const [functionName, fn] of Object.entries(this.service().functions || {})) {
      for (const e of fn.events || []) {
        if (!e || !e.http) continue;
        let { path: p, method } = typeof e.http === 'string' ? { method: e.http.split(' ')[0], path: e.http.split(' ').slice(1).join(' ') } : e.http;
        p = String(p || '').replace(/^\/+|\/+$/g, '');
        events.push({ functionName, http: Object.assign({}, typeof e.http === 'object' ? e.http : {}, { path: p, method: String(method || '').toLowerCase() }) });
      }
    }
    return { events };
  }

  getResourceName(p) {
    return p === '' ? '' : this.naming.normalizePath(p);
  }
}

// ---------------------------------------------------------------- plugins and hooks

const schemaCalls = [];
const hooks = {};
const commands = {};
let serverless;
let current = null; // the plugin whose hook runs, for error messages
let currentEvent = null;

function commandEvents(name) {
  const parts = name.split(':');
  let level = commands;
  let cmd;
  for (const p of parts) {
    cmd = level[p];
    if (!cmd) return null;
    level = cmd.commands || {};
  }
  const events = [];
  for (const e of cmd.lifecycleEvents || []) {
    events.push(`before:${name}:${e}`, `${name}:${e}`, `after:${name}:${e}`);
  }
  return events;
}

function addCommands(into, declared, plugin) {
  for (const [name, cmd] of Object.entries(declared || {})) {
    const existing = into[name] || { commands: {}, options: {}, plugin };
    existing.usage = existing.usage || cmd.usage;
    existing.type = existing.type || cmd.type;
    if (!existing.lifecycleEvents || !existing.lifecycleEvents.length) existing.lifecycleEvents = cmd.lifecycleEvents || [];
    Object.assign(existing.options, cmd.options || {});
    into[name] = existing;
    addCommands(existing.commands, cmd.commands, plugin);
  }
}

async function load(name, localPath) {
  const tries = [];
  if (!name.startsWith('./')) tries.push(path.resolve(localPath, name));
  const fromService = createRequire(path.join(serverless.serviceDir, 'serverless.yml'));
  let resolved = null;
  for (const t of tries) {
    try { resolved = require.resolve(t); break; } catch { /* next */ }
  }
  if (!resolved) {
    try { resolved = fromService.resolve(name.startsWith('./') ? path.resolve(serverless.serviceDir, name) : name); } catch { /* below */ }
  }
  if (!resolved) return null;
  let mod;
  try {
    mod = require(resolved);
  } catch (e) {
    if (e.code !== 'ERR_REQUIRE_ESM') throw e;
    mod = await import(pathToFileURL(resolved).href);
  }
  return (mod && mod.default) || mod;
}

async function runEvent(event) {
  for (const { plugin, hook } of hooks[event] || []) {
    current = plugin;
    currentEvent = event;
    const t = performance.now();
    try {
      await hook();
    } finally {
      timing.hooks += performance.now() - t;
    }
  }
  current = null;
  currentEvent = null;
}

function state() {
  return {
    serviceDir: serverless.config.servicePath,
    service: {
      package: serverless.service.package,
      functions: serverless.service.functions,
      layers: serverless.service.layers,
      added: additions(),
    },
    template: serverless.service.provider.compiledCloudFormationTemplate,
  };
}

// What plugins add to `resources:` (serverless-lift's constructs, serverless-plugin-warmup's
// role) and to the role's statements (lift's permissions), against the configuration as it was
// before any plugin loaded: sls-rs merges the additions as v3 does and refuses other changes,
// so nothing a plugin does to them is dropped.
const SECTIONS = ['Resources', 'Outputs', 'Conditions', 'Mappings', 'Parameters', 'Metadata', 'Rules'];
let baseline;

function statementsOf(provider) {
  const p = provider || {};
  const modern = p.iam && p.iam.role && Array.isArray(p.iam.role.statements) ? p.iam.role.statements : [];
  const legacy = Array.isArray(p.iamRoleStatements) ? p.iamRoleStatements : [];
  return [...modern, ...legacy];
}

function snapshot() {
  const svc = serverless.service;
  const resources = {};
  for (const sec of SECTIONS) {
    resources[sec] = {};
    for (const [k, v] of Object.entries((svc.resources && svc.resources[sec]) || {})) resources[sec][k] = JSON.stringify(v);
  }
  return { statements: statementsOf(svc.provider).map((x) => JSON.stringify(x)), resources };
}

// The service's own settings (`provider`, and each function's but for what sls-rs takes back
// at every hand-over: `package`, `handler`), as they were before plugins loaded. What plugins
// change in them by the end of `initialize` (serverless-dotenv-plugin's environment in its
// constructor, serverless-lift's references) sls-rs takes and validates; a change after that
// would not be deployed, so it is refused.
const TAKEN_ALWAYS = ['package', 'handler'];
const HOST_OWN = ['compiledCloudFormationTemplate', 'shouldNotDeploy', 'deploymentBucketObject', 'iamRoleStatements'];
let settingsBase;

function settingsView() {
  const svc = serverless.service;
  const provider = {};
  for (const [k, v] of Object.entries(svc.provider || {})) if (!HOST_OWN.includes(k)) provider[k] = v;
  const functions = {};
  for (const [key, fn] of Object.entries(svc.functions || {})) {
    const f = {};
    for (const [k, v] of Object.entries(fn || {})) if (!TAKEN_ALWAYS.includes(k)) f[k] = v;
    functions[key] = f;
  }
  const view = clone({ provider, functions });
  // IAM statements are compared as additions (`additions()`).
  if (view.provider.iam && view.provider.iam.role && typeof view.provider.iam.role === 'object') delete view.provider.iam.role.statements;
  return view;
}

// Where `now` differs from `was`, to the deepest key both hold as objects.
function changes(was, now, segs, out) {
  if (JSON.stringify(was) === JSON.stringify(now)) return out;
  const isMap = (v) => v && typeof v === 'object' && !Array.isArray(v);
  if (isMap(was) && isMap(now)) {
    for (const k of new Set([...Object.keys(was), ...Object.keys(now)])) changes(was[k], now[k], [...segs, k], out);
  } else {
    out.push(now === undefined ? { path: segs, deleted: true } : { path: segs, value: now });
  }
  return out;
}

function settingsChanges() {
  const now = settingsView();
  const out = changes(settingsBase.provider, now.provider, ['provider'], []);
  // Functions plugins add are taken as new functions (`adopt_functions`), not here.
  for (const key of Object.keys(settingsBase.functions)) changes(settingsBase.functions[key], now.functions[key], ['functions', key], out);
  return out;
}

function additions() {
  const svc = serverless.service;
  const out = { statements: [], resources: {}, changed: [] };
  for (const c of settingsChanges()) out.changed.push(c.path.join('.'));
  const now = statementsOf(svc.provider);
  const kept = baseline.statements.every((s, i) => i < now.length && JSON.stringify(now[i]) === s);
  if (kept) out.statements = now.slice(baseline.statements.length);
  else out.changed.push('provider.iam.role.statements');
  for (const sec of SECTIONS) {
    const cur = (svc.resources && svc.resources[sec]) || {};
    const was = baseline.resources[sec];
    for (const [k, v] of Object.entries(cur)) {
      if (!(k in was)) (out.resources[sec] = out.resources[sec] || {})[k] = v;
      else if (JSON.stringify(v) !== was[k]) out.changed.push(`resources.${sec}.${k}`);
    }
    for (const k of Object.keys(was)) if (!(k in cur)) out.changed.push(`resources.${sec}.${k}`);
  }
  return out;
}

// ------------------------------------------------------------ plugins' variable sources

// `${source(params):address}` for a source a plugin declares (`configurationVariablesSources`),
// resolved by the first plugin that declares it, with v3's arguments. What the resolver asks
// back (`resolveVariable('self:x')`, …) sls-rs answers from the configuration.
async function resolveSource(msg) {
  const owner = serverless.pluginManager.plugins.find((p) => p.configurationVariablesSources && p.configurationVariablesSources[msg.source]);
  current = owner && owner.constructor._serverlessExternalPluginName;
  const source = owner.configurationVariablesSources[msg.source];
  const result = await source.resolve({
    address: msg.address,
    params: msg.params,
    options: serverless.processedInput.options,
    serviceDir: serverless.serviceDir,
    resolveVariable: async (expr) => ask({ op: 'variable', expr }),
    resolveConfigurationProperty: async (segs) => ask({ op: 'property', path: segs }),
    resolveVariablesInString: async (text) => ask({ op: 'string', text }),
  });
  current = null;
  return result && result.value !== undefined ? { op: 'resolved', value: clone(result.value) } : { op: 'resolved' };
}

function valueAt(root, segs) {
  let cur = root;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[s];
  }
  return cur;
}

function setAt(root, segs, value) {
  const parent = valueAt(root, segs.slice(0, -1));
  if (parent !== null && typeof parent === 'object') parent[segs[segs.length - 1]] = value;
}

// The values at these paths are the configuration's, not additions or changes by plugins:
// the baseline `additions()` compares with takes them as they are now.
function rebase(paths) {
  const now = snapshot();
  for (const segs of paths) {
    if (segs[0] === 'resources' && baseline.resources[segs[1]] && segs.length > 2) {
      const k = segs[2];
      if (k in now.resources[segs[1]]) baseline.resources[segs[1]][k] = now.resources[segs[1]][k];
    }
    if (segs[0] === 'provider' && (segs[1] === 'iam' || segs[1] === 'iamRoleStatements')) baseline.statements = now.statements.slice(0, baseline.statements.length);
  }
}

// sls-rs's side of the packaging settings (artifacts it built, patterns) goes into the
// objects plugins hold; everything else about functions and layers stays as plugins left it.
function apply(s) {
  if (!s) return;
  const svc = serverless.service;
  if (s.service) {
    if (s.service.package) svc.package = Object.assign(svc.package || {}, s.service.package);
    for (const [kind, all] of [['functions', svc.functions], ['layers', svc.layers]]) {
      for (const [key, ours] of Object.entries(s.service[kind] || {})) {
        const theirs = all[key];
        if (!theirs) continue;
        if (ours.package) theirs.package = Object.assign(theirs.package || {}, ours.package);
        if (kind === 'functions' && ours.handler) theirs.handler = ours.handler;
      }
    }
  }
  if (s.template) svc.provider.compiledCloudFormationTemplate = s.template;
}

function failure(e) {
  return {
    op: 'error',
    plugin: current,
    event: currentEvent,
    message: e && e.message ? e.message : String(e),
    stack: e && e.stack ? modules.mapStack(String(e.stack)).split('\n').slice(0, 6).join('\n') : undefined,
  };
}

async function main() {
  const req = receive();
  serverless = buildServerless(req);
  baseline = snapshot();
  settingsBase = settingsView();
  const loaded = [];
  const loadStart = performance.now();
  for (const name of req.plugins) {
    current = name;
    let Plugin;
    try {
      Plugin = await load(name, req.localPath);
    } catch (e) {
      send(failure(e));
      return;
    }
    if (!Plugin) {
      send({ op: 'missing', plugin: name });
      return;
    }
    if (typeof Plugin !== 'function') {
      send({ op: 'error', plugin: name, message: `plugin "${name}" does not export a plugin class` });
      return;
    }
    Plugin._serverlessExternalPluginName = name;
    let instance;
    try {
      instance = new Plugin(serverless, req.options, { log: logger(name), writeText: writer(''), progress });
    } catch (e) {
      send(failure(e));
      return;
    }
    if (instance.provider && (instance.provider === 'google' || (instance.provider.constructor && instance.provider.constructor.getProviderName && instance.provider.constructor.getProviderName() !== 'aws'))) continue;
    serverless.pluginManager.plugins.push(instance);
    addCommands(commands, instance.commands, name);
    const events = [];
    for (const [event, hook] of Object.entries(instance.hooks || {})) {
      (hooks[event] = hooks[event] || []).push({ plugin: name, hook: hook.bind ? hook.bind(instance) : hook });
      events.push(event);
    }
    loaded.push({ name, events, variableSources: Object.keys(instance.configurationVariablesSources || {}) });
  }
  current = null;
  timing.load = performance.now() - loadStart;
  serverless.pluginManager.commands = commands;
  send({ op: 'loaded', plugins: loaded, schema: schemaCalls, commands: clone(commands) });
  for (;;) {
    const msg = receive();
    if (msg.op === 'exit') {
      await settle();
      process.exit(0);
    }
    if (msg.op === 'options') {
      Object.assign(serverless.processedInput.options, msg.values);
      send({ op: 'ok' });
      continue;
    }
    if (msg.op === 'resolve') {
      try {
        send(await resolveSource(msg));
      } catch (e) {
        send(failure(e));
        current = null;
      }
      continue;
    }
    if (msg.op === 'values') {
      for (const { path: segs, value } of msg.values) {
        setAt(serverless.configurationInput, segs, clone(value));
        setAt(serverless.service, segs, clone(value));
      }
      rebase(msg.values.map((v) => v.path));
      // The values are the configuration's, not the plugins' changes.
      for (const { path: segs, value } of msg.values) {
        if (segs[0] === 'provider' && !HOST_OWN.includes(segs[1])) setAt(settingsBase, segs, clone(value));
        if (segs[0] === 'functions' && !TAKEN_ALWAYS.includes(segs[2])) setAt(settingsBase, segs, clone(value));
      }
      send({ op: 'ok' });
      continue;
    }
    if (msg.op === 'read') {
      const values = msg.paths.map((segs) => {
        const v = valueAt(serverless.service, segs);
        return v === undefined ? null : v;
      });
      rebase(msg.paths);
      const settings = settingsChanges();
      settingsBase = settingsView();
      send({ op: 'values', values: clone(values), settings: clone(settings), added: clone(additions()) });
      continue;
    }
    if (msg.op !== 'run') continue;
    try {
      apply(msg.state);
      for (const event of msg.events) await runEvent(event);
      await settle();
      send({ op: 'done', state: clone(state()) });
    } catch (e) {
      send(failure(e));
    }
  }
}

// Between runs the host waits for sls-rs in a blocking read, so Node's event loop does not
// turn: file operations a hook started without awaiting them (serverless-webpack removes its
// output folder with an unawaited `fs.promises.rm`, serverless-python-requirements links its
// layer zip with an unawaited `fse.symlink`) would never finish. Before answering, the loop
// runs until no file operation is pending (timers and sockets are not waited for), as it
// would between v3's hooks.
async function settle() {
  const deadline = Date.now() + 60000;
  // Pending file requests: `FSReqCallback`, `FSReqPromise`, and the `CloseReq` of a handle
  // `fs.promises` closes between two steps of one operation.
  const fileOps = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('FSReq') || r.endsWith('CloseReq'));
  do {
    await new Promise((resolve) => setImmediate(resolve));
  } while (fileOps().length && Date.now() < deadline);
}

main().catch((e) => {
  try { send(failure(e)); } catch { /* sls-rs is gone */ }
  process.exit(1);
});
