#!/usr/bin/env node
'use strict';
// Builds tests/fixtures/v3-keys/keys.json for sls-rs from osls 3.77.1's own config schema.
//  1. dumps osls's fully-registered config schema (core + AWS provider + all event compilers)
//     through a local plugin that reads serverless.configSchemaHandler.schema in its constructor
//  2. enumerates the keys to cover (top level, package.*, resources.*, provider.* (+2nd level of
//     object-valued keys), functions.*, every event and its first-level properties, layers.*)
//  3. attaches hand-written samples (samples.js)
//  4. verifies every sample by running `osls package` (configValidationMode: error) on a service
//     containing it, and compares the compiled template with a reference service without it.
// Usage: node build-keys.js [--out FILE] [--jobs N] [--only REGEX]
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { spawn, execFileSync } = require('child_process');

// osls@3 as bench/ installs it (bench/run, or `npm install osls@3` in bench/.node).
const REPO = path.resolve(__dirname, '../..');
const NODE_DIR = path.join(REPO, 'bench/.node');
const OSLS = path.join(NODE_DIR, 'node_modules/.bin/osls');
const yaml = require(path.join(NODE_DIR, 'node_modules/js-yaml'));
const WORK = process.env.V3_KEYS_WORK || path.join(require('os').tmpdir(), 'sls-rs-v3-keys');
const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const OUT = opt('--out', path.join(REPO, 'tests/fixtures/v3-keys/keys.json'));
const JOBS = Number(opt('--jobs', '3'));
const ONLY = opt('--only', null);
const FRESH = args.includes('--fresh');
const ENV = { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1',
  SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  AWS_EC2_METADATA_DISABLED: 'true', SOURCE_DATE_EPOCH: '1795700000', SLS_DEPRECATION_NOTIFICATION_MODE: 'warn' };
const CACHE_SALT = 'v2:deprecation-warn';
const { S, EVENT_BASE, EVENT_STRING, EVENT_PROPS } = require('./samples');

const HANDLER = 'module.exports.hello = async () => ({ statusCode: 200 });\nmodule.exports.auth = async () => ({});\n';
const BASE = () => ({
  service: 'keys',
  configValidationMode: 'error',
  provider: { name: 'aws', runtime: 'nodejs22.x', region: 'us-east-1' },
  functions: { hello: { handler: 'handler.hello' } },
});
const STAR = { functions: 'hello', layers: 'common', 's3': 'bucket-one' };

// ------------------------------------------------------------------ 1. schema dump
function runOsls(dir, cmd = 'package', timeoutMs = 120000) {
  return new Promise((resolve) => {
    const child = spawn(OSLS, [cmd], { cwd: dir, env: ENV, detached: false });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => { out += '\n[timeout]'; child.kill('SIGKILL'); }, timeoutMs);
    child.on('close', (code) => { clearTimeout(t); resolve({ code, out }); });
  });
}

async function dumpSchema() {
  const dir = path.join(WORK, '_schema');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, '.serverless_plugins'), { recursive: true });
  const svc = { ...BASE(), plugins: ['schema-dump'] };
  fs.writeFileSync(path.join(dir, 'serverless.yml'), yaml.dump(svc));
  fs.writeFileSync(path.join(dir, 'handler.js'), HANDLER);
  fs.writeFileSync(path.join(dir, '.serverless_plugins/schema-dump.js'),
    `module.exports = class { constructor(sls) { require('fs').writeFileSync(${JSON.stringify(path.join(dir, 'schema.json'))}, JSON.stringify(sls.configSchemaHandler.schema, null, 1)); } };\n`);
  const r = await runOsls(dir);
  if (r.code !== 0) throw new Error('schema dump failed:\n' + r.out);
  const schema = JSON.parse(fs.readFileSync(path.join(dir, 'schema.json'), 'utf8'));
  fs.copyFileSync(path.join(dir, 'schema.json'), path.join(WORK, 'schema.json'));
  return schema;
}

// ------------------------------------------------------------------ 2. key enumeration
function deref(schema, s) {
  while (s && s.$ref) s = schema.definitions[s.$ref.replace('#/definitions/', '')];
  return s;
}
// property names of an object schema (merging object alternatives of anyOf/oneOf)
function objProps(schema, s) {
  s = deref(schema, s);
  if (!s) return null;
  let props = null;
  const addFrom = (x) => { x = deref(schema, x); if (x && x.properties) props = { ...(props || {}), ...x.properties }; };
  addFrom(s);
  for (const alt of [...(s.anyOf || []), ...(s.oneOf || [])]) addFrom(alt);
  return props;
}

function enumerate(schema) {
  const keys = []; // {path, kind, schemaPath, event?, prop?}
  const P = schema.properties;
  for (const k of Object.keys(P)) keys.push({ path: k, kind: 'top' });
  for (const k of Object.keys(P.package.properties)) keys.push({ path: `package.${k}`, kind: 'package' });
  for (const k of Object.keys(P.resources.properties)) keys.push({ path: `resources.${k}`, kind: 'resources' });
  const prov = P.provider.properties;
  for (const [k, v] of Object.entries(prov)) {
    keys.push({ path: `provider.${k}`, kind: 'provider' });
    const sub = objProps(schema, v);
    if (sub) for (const kk of Object.keys(sub).filter((x) => !/^(Fn::|Ref$)/.test(x))) keys.push({ path: `provider.${k}.${kk}`, kind: 'provider2' });
    const d = deref(schema, v);
    if (d && d.additionalProperties && typeof d.additionalProperties === 'object') {
      const ap = objProps(schema, d.additionalProperties);
      if (ap && !(d.additionalProperties.anyOf || d.additionalProperties.oneOf)) for (const kk of Object.keys(ap)) keys.push({ path: `provider.${k}.*.${kk}`, kind: 'provider2' });
    }
  }
  const fn = Object.values(P.functions.patternProperties)[0];
  for (const k of Object.keys(fn.properties)) keys.push({ path: `functions.*.${k}`, kind: 'function' });
  const events = fn.properties.events.items.anyOf.filter((e) => !(e.properties && e.properties.__schemaWorkaround__));
  for (const e of events) {
    const name = Object.keys(e.properties)[0];
    const es = e.properties[name];
    const alts = es.anyOf || es.oneOf || [es];
    const hasString = alts.some((a) => { a = deref(schema, a); return a && a.type === 'string'; });
    keys.push({ path: `functions.*.events.${name}`, kind: 'event', event: name, stringForm: hasString });
    const props = objProps(schema, es) || {};
    for (const p of Object.keys(props)) keys.push({ path: `functions.*.events.${name}.${p}`, kind: 'eventProp', event: name, prop: p });
  }
  const layer = P.layers.additionalProperties;
  for (const k of Object.keys(layer.properties)) keys.push({ path: `layers.*.${k}`, kind: 'layer' });
  return keys;
}

// ------------------------------------------------------------------ 3. entries
const clone = (x) => (x === undefined ? undefined : JSON.parse(JSON.stringify(x)));
const isObj = (x) => x && typeof x === 'object' && !Array.isArray(x);
function deepMerge(a, b) {
  if (!isObj(a) || !isObj(b)) return clone(b);
  const r = { ...a };
  for (const [k, v] of Object.entries(b)) r[k] = k in a ? deepMerge(a[k], v) : clone(v);
  return r;
}
function setPathOf(p) {
  const parts = p.split('.');
  return parts.map((x, i) => (x === '*' ? (i === 1 ? STAR[parts[0]] : STAR[parts[i - 1]]) : x));
}
function setIn(obj, parts, v) {
  let o = obj;
  for (const k of parts.slice(0, -1)) { if (!isObj(o[k])) o[k] = {}; o = o[k]; }
  o[parts[parts.length - 1]] = clone(v);
}
function delIn(obj, parts) {
  let o = obj;
  for (const k of parts.slice(0, -1)) { if (!isObj(o[k])) return; o = o[k]; }
  delete o[parts[parts.length - 1]];
}

function buildEntries(keys) {
  const entries = [];
  const missing = [];
  for (const key of keys) {
    if (key.kind === 'event') {
      const name = key.event;
      entries.push({ path: key.path, sample: clone(EVENT_BASE[name]), event: { [name]: clone(EVENT_BASE[name]) }, ref: { event: null } });
      if (key.stringForm) {
        if (!(name in EVENT_STRING)) missing.push(key.path + ' (string form)');
        else entries.push({ path: key.path, sample: EVENT_STRING[name], event: { [name]: EVENT_STRING[name] }, form: 'string', ref: { event: null } });
      }
      continue;
    }
    if (key.kind === 'eventProp') {
      const spec = (EVENT_PROPS[key.event] || {})[key.prop];
      if (!spec) { missing.push(key.path); continue; }
      let base = clone(spec.base || EVENT_BASE[key.event]);
      if (spec.extraBase) base = { ...base, ...clone(spec.extraBase) };
      for (const d of spec.drop || []) delete base[d];
      const evObj = { ...base, [key.prop]: clone(spec.sample) };
      const e = { path: key.path, sample: clone(spec.sample), event: { [key.event]: evObj } };
      if (spec.with) e.with = clone(spec.with);
      if (spec.note) e.note = spec.note;
      // reference: the same event without this property (or with the base value if required)
      const refBase = clone(spec.base || EVENT_BASE[key.event]);
      if (spec.extraBase) Object.assign(refBase, clone(spec.extraBase));
      e.ref = { event: { [key.event]: refBase } };
      entries.push(e);
      continue;
    }
    const spec = S[key.path];
    if (!spec) { missing.push(key.path); continue; }
    entries.push(makePlain(key.path, spec));
  }
  // extra keys present in samples.js but not generated by enumeration (deeper keys, e.g. provider.iam.role.*)
  const have = new Set(keys.map((k) => k.path));
  for (const [p, spec] of Object.entries(S)) if (!have.has(p)) { const e = makePlain(p, spec); e.extra = true; entries.push(e); }
  return { entries, missing };
}
function makePlain(p, spec) {
  const e = { path: p, sample: clone(spec.sample), setPath: setPathOf(p) };
  if (spec.with) e.with = clone(spec.with);
  if (spec.remove) e.remove = clone(spec.remove);
  if (spec.files) e.files = clone(spec.files);
  if (spec.note) e.note = spec.note;
  return e;
}

// service for an entry (withSample=false: reference service without the key)
function serviceFor(e, withSample = true) {
  let svc = BASE();
  if (e.with) svc = deepMerge(svc, e.with);
  for (const r of e.remove || []) delIn(svc, r.split('.'));
  if (e.event) {
    const ev = withSample ? e.event : e.ref.event;
    if (ev) {
      svc.functions.hello.events = svc.functions.hello.events || [];
      svc.functions.hello.events.push(clone(ev));
    }
  } else if (withSample) {
    setIn(svc, e.setPath, e.sample);
  }
  return svc;
}

// ------------------------------------------------------------------ 4. verification
function makeZip(dir, name) {
  execFileSync('python3', ['-c', `import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w'); z.writestr('handler.js', ${JSON.stringify(HANDLER)}); z.close()`, path.join(dir, name)]);
}
function writeService(dir, svc, files) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'serverless.yml'), yaml.dump(svc, { noRefs: true, lineWidth: -1 }));
  fs.writeFileSync(path.join(dir, 'handler.js'), HANDLER);
  for (const [f, c] of Object.entries(files || {})) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    if (c === '@zip') makeZip(dir, f); else fs.writeFileSync(path.join(dir, f), c);
  }
}
function normTemplate(dir) {
  const f = path.join(dir, '.serverless/cloudformation-template-update-stack.json');
  if (!fs.existsSync(f)) return null;
  return fs.readFileSync(f, 'utf8').replace(/serverless\/[^"]*?\/\d{13}-\d{4}-\d\d-\d\dT[\d:.]+Z\//g, 'serverless/ARTIFACT_DIR/');
}
const OFFLINE_RX = /credentials|ENOTFOUND|EAI_AGAIN|getaddrinfo|ECONNREFUSED|docker|Could not load credentials|security token|timeout\]|CredentialsProviderError|UnrecognizedClientException|InvalidClientTokenId/i;

const STUB = `'use strict';
// Test-harness stub: answers the only AWS call osls makes while packaging layers
// (CloudFormation.describeStacks, used to reuse an already-uploaded layer) with "stack does not exist".
module.exports = class {
  constructor(serverless) {
    const provider = serverless.getProvider('aws');
    provider.request = async (service, method, params) => {
      if (service === 'CloudFormation' && method === 'describeStacks') {
        const e = new Error('Stack with id ' + params.StackName + ' does not exist');
        e.code = 'ValidationError';
        throw e;
      }
      throw new Error('offline stub: ' + service + '.' + method);
    };
  }
};
`;
const cache = new Map();
// persistent per-service cache: WORK/<sha1>/result.json
async function pkg(svc, files, stub = false) {
  if (stub) {
    svc = { ...svc, plugins: [...(Array.isArray(svc.plugins) ? svc.plugins : []), 'aws-offline-stub'] };
    files = { ...(files || {}), '.serverless_plugins/aws-offline-stub.js': STUB };
  }
  const body = CACHE_SALT + yaml.dump(svc, { noRefs: true, lineWidth: -1 }) + JSON.stringify(files || {});
  const h = crypto.createHash('sha1').update(body).digest('hex').slice(0, 16);
  if (!cache.has(h)) cache.set(h, (async () => {
    const dir = path.join(WORK, h);
    const rf = path.join(dir, 'result.json');
    if (!FRESH && fs.existsSync(rf)) return JSON.parse(fs.readFileSync(rf, 'utf8'));
    writeService(dir, svc, files);
    const r = await runOsls(dir);
    const res = { code: r.code, out: r.out, template: r.code === 0 ? normTemplate(dir) : null };
    fs.writeFileSync(rf, JSON.stringify(res));
    return res;
  })());
  return cache.get(h);
}

async function pool(items, n, fn) {
  let i = 0, done = 0;
  const workers = Array.from({ length: n }, async () => {
    while (i < items.length) {
      const idx = i++;
      await fn(items[idx], idx);
      if (++done % 25 === 0) process.stderr.write(`  ${done}/${items.length}\n`);
    }
  });
  await Promise.all(workers);
}
const warnings = (s) => {
  const lines = s.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim());
  const out = [];
  lines.forEach((l, i) => {
    if (!/^Warning:|deprecat/i.test(l)) return;
    // multi-line warnings ("... no longer be supported:" + list of properties)
    let j = i + 1, w = l;
    while (w.endsWith(':') || (j < lines.length && /^- /.test(lines[j]))) { if (j >= lines.length || !lines[j]) break; w += ' ' + lines[j++]; }
    out.push(w);
  });
  return out;
};
const clean = (s) => s.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).filter((l) => l && !/^(Packaging|✔|✖|Environment:|Error:$|Credentials:|Docs:|Support:|Bugs:|Issues:)/.test(l)).join(' ').slice(0, 400);

async function main() {
  fs.mkdirSync(WORK, { recursive: true });
  const schema = await dumpSchema();
  const keys = enumerate(schema);
  let { entries, missing } = buildEntries(keys);
  if (missing.length) console.error('NO SAMPLE FOR:\n  ' + missing.join('\n  '));
  if (ONLY) entries = entries.filter((e) => new RegExp(ONLY).test(e.path));
  const baseRun = await pkg(BASE(), {});
  if (baseRun.code !== 0) throw new Error('base service fails:\n' + baseRun.out);
  console.error(`verifying ${entries.length} entries with ${JOBS} jobs`);
  await pool(entries, JOBS, async (e) => {
    const files = e.files;
    let stub = false;
    let r = await pkg(serviceFor(e, true), files);
    if (r.code !== 0 && OFFLINE_RX.test(r.out)) {
      // osls needs AWS for this while packaging: mark offline:false, then verify with the AWS call stubbed
      e.offline = false;
      e.offlineReason = clean(r.out);
      stub = true;
      r = await pkg(serviceFor(e, true), files, true);
      if (r.code === 0) e.verifiedWith = 'aws-offline-stub (CloudFormation.describeStacks -> stack does not exist)';
    }
    e.verified = r.code === 0;
    if (!e.verified) { e.error = clean(r.out); return; }
    let ref = await pkg(serviceFor(e, false), files, stub);
    e.comparedAgainst = 'reference';
    if (ref.code !== 0) { ref = stub ? await pkg(BASE(), {}, true) : baseRun; e.comparedAgainst = 'base'; }
    e.v3TemplateChanges = r.template !== ref.template;
    const refWarn = new Set(warnings(ref.out));
    const w = warnings(r.out).filter((x) => !refWarn.has(x));
    if (w.length) e.v3Warnings = w;
  });
  // output
  const order = ['path', 'sample', 'event', 'form', 'setPath', 'with', 'remove', 'files', 'needs', 'note', 'extra', 'verified', 'verifiedWith', 'offline', 'offlineReason', 'v3TemplateChanges', 'comparedAgainst', 'v3Warnings', 'error'];
  const out = entries.map((e) => {
    const o = {};
    for (const k of order) if (e[k] !== undefined) o[k] = e[k];
    return o;
  });
  fs.writeFileSync(OUT, JSON.stringify(out, null, 1) + '\n');
  const ver = out.filter((e) => e.verified).length;
  console.error(`wrote ${OUT}: ${out.length} entries, ${ver} verified, ${out.length - ver} not verified; ${missing.length} keys without sample`);
  for (const e of out.filter((x) => !x.verified)) console.error(`FAIL ${e.path}${e.form ? ' [' + e.form + ']' : ''}: ${e.error}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
