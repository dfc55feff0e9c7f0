// The plugin host's module cache: the CommonJS modules plugins load from node_modules, served
// from one precompiled script instead of ~2,000 small files, each compiled and resolved anew.
// A plugin such as serverless-esbuild loads 1,700 files; this takes its `require` from ~1.5 s to
// ~0.35 s. Written for sls-rs (ARCHITECTURE.md, "Plugins"); prepended to plugin-host.js.
//
// A run that loads modules the cache lacks records them, and at exit writes, in `dir`:
//   <id>.0.js  `[(function (exports, require, module, __filename, __dirname) { <source>\n}), …]`:
//              Node's own CommonJS wrapper, one per module, in one script, stored as latin1 (read
//              back 15x faster than UTF-8); modules with characters above U+00FF go to <id>.1.js,
//              stored as UTF-16;
//   pack.json  which module is where (with its size and mtime), JSON files' text, the
//              resolutions seen (directory + request → file), and a stamp (Node's version, the
//              lock files of the service and the directories above it);
//   <id>.N.v8  V8's code cache of <id>.N.js, made by the first run that ran it, after the hooks,
//              so the functions compiled lazily are in it too.
// Each run touches pack.json; a build removes the caches of services not run for 30 days.
// Later runs compile each script once with its code cache and answer `require` from it for every
// module whose size and mtime are unchanged; anything else goes to Node, and the cache is
// rebuilt at exit. A new <id> per build and pack.json renamed into place last keep a killed or
// concurrent writer harmless.
// Left to Node: ES modules (.mjs, "type": "module"), native addons, modules that threw while
// loading, and modules that call `import()` (it would resolve against the cache file).
// Stack traces name the cache file; `mapStack` turns them back into module file and line.
'use strict';

function moduleCache(dir, root) {
  const Module = require('module');
  const vm = require('vm');
  const fs = require('fs');
  const path = require('path');
  const { isModuleNamespaceObject } = require('util').types;
  const none = { mapStack: (s) => s };
  if (!dir) return none;

  const ENC = ['latin1', 'utf16le'];
  const HEADER = '(function (exports, require, module, __filename, __dirname) { ';
  const NM = path.sep + 'node_modules' + path.sep;
  const manFile = path.join(dir, 'pack.json');

  // What an install changes, here and in every directory above (hoisted node_modules).
  function stamp() {
    const marks = [process.version, process.env.NODE_PATH || '', process.execArgv.join(' ')];
    const names = ['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml', 'npm-shrinkwrap.json', 'bun.lockb',
      'node_modules/.package-lock.json', 'node_modules/.yarn-integrity', 'node_modules/.modules.yaml'];
    for (let d = root; ; d = path.dirname(d)) {
      for (const n of names) {
        const st = fs.statSync(path.join(d, n), { throwIfNoEntry: false });
        if (st) marks.push(n + '@' + d + '=' + st.mtimeMs);
      }
      if (path.dirname(d) === d) break;
    }
    return marks.join('|');
  }
  const STAMP = stamp();

  let man = null;
  try {
    man = JSON.parse(fs.readFileSync(manFile, 'utf8'));
    if (man.stamp !== STAMP) man = null;
  } catch { man = null; }
  const jsFile = (n, id = man.id) => path.join(dir, `${id}.${n}.js`);
  const v8File = (n, id = man.id) => path.join(dir, `${id}.${n}.v8`);
  const files = new Map(man ? Object.entries(man.files) : []); // file → [script, index | -1 for JSON, size, mtimeMs]
  const res = new Map(man ? Object.entries(man.res) : []); // dir + '\0' + request → file
  const skip = new Set(man ? man.skip : []);
  const loaded = new Set(); // files Node loaded this run, for the next build
  let dirty = !man;
  let hits = 0;
  let misses = 0;
  const packs = [null, null];

  function wrapper(n, i) {
    if (packs[n] === null) {
      packs[n] = false;
      try {
        let cachedData;
        try { cachedData = fs.readFileSync(v8File(n)); } catch { /* first run */ }
        const script = new vm.Script(fs.readFileSync(jsFile(n), ENC[n]), { filename: jsFile(n), cachedData });
        packs[n] = { script, wrappers: script.runInThisContext(), rejected: !!cachedData && script.cachedDataRejected, cached: !!cachedData };
      } catch {
        files.clear();
        res.clear();
        dirty = true;
      }
    }
    return packs[n] && packs[n].wrappers[i];
  }
  function fresh(file, e) {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    return !!st && st.size === e[2] && st.mtimeMs === e[3];
  }

  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, isMain, options) {
    // Only for ordinary parents, whose lookup paths follow from their directory.
    const from = parent && parent.filename && path.dirname(parent.filename);
    if (options || isMain || !from || parent.path !== from) return resolve.apply(this, arguments);
    const key = from + '\0' + request;
    const hit = res.get(key);
    if (hit !== undefined) return hit;
    const r = resolve.apply(this, arguments);
    if (r.includes(NM) && path.isAbsolute(r)) {
      res.set(key, r);
      dirty = true;
    }
    return r;
  };

  // Node marks a module while its code runs (Module.prototype._compile); so does the cache.
  const kIsExecuting = Object.getOwnPropertySymbols(module).find((s) => s.description === 'kIsExecuting');
  const checkRequest = (v) => {
    if (typeof v !== 'string') throw Object.assign(new TypeError('The "request" argument must be of type string'), { code: 'ERR_INVALID_ARG_TYPE' });
  };
  // The `require` Node gives a module (makeRequireFunction), built the same way.
  function makeRequire(mod) {
    const req = function require(p) { return mod.require(p); };
    function resolveFn(request, options) { checkRequest(request); return Module._resolveFilename(request, mod, false, options); }
    resolveFn.paths = (request) => { checkRequest(request); return Module._resolveLookupPaths(request, mod); };
    req.resolve = resolveFn;
    Object.defineProperty(req, 'main', { value: process.mainModule, writable: true, enumerable: true, configurable: true });
    req.extensions = Module._extensions;
    req.cache = Module._cache;
    return req;
  }

  const eligible = (f) => f.includes(NM) && !f.endsWith('.mjs') && !f.endsWith('.node');
  const loadJs = Module._extensions['.js'];
  const loadJson = Module._extensions['.json'];
  Module._extensions['.js'] = function (mod, file) {
    const e = files.get(file);
    let fn;
    if (e && e[1] >= 0 && fresh(file, e) && (fn = wrapper(e[0], e[1]))) {
      hits++;
      if (kIsExecuting) mod[kIsExecuting] = true;
      fn.call(mod.exports, mod.exports, makeRequire(mod), mod, file, path.dirname(file));
      if (kIsExecuting) mod[kIsExecuting] = false;
      return;
    }
    if (!eligible(file) || skip.has(file)) return loadJs.call(this, mod, file);
    misses++;
    dirty = true;
    files.delete(file);
    try {
      loadJs.call(this, mod, file);
    } catch (err) {
      skip.add(file);
      throw err;
    }
    if (isModuleNamespaceObject(mod.exports)) skip.add(file);
    else loaded.add(file);
  };
  Module._extensions['.json'] = function (mod, file) {
    const e = files.get(file);
    if (e && e[1] === -1 && fresh(file, e)) {
      hits++;
      const text = man.json[file];
      try {
        mod.exports = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
      } catch (err) {
        err.message = file + ': ' + err.message;
        throw err;
      }
      return;
    }
    loadJson.call(this, mod, file);
    if (eligible(file)) {
      misses++;
      dirty = true;
      files.delete(file);
      loaded.add(file);
    }
  };

  // `import(` outside comments and quoted strings (JSDoc types often mention it).
  const STRIP = /\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"/g;
  const mayImport = (src) => /\bimport\s*\(/.test(src) && /\bimport\s*\(/.test(src.replace(STRIP, ' '));
  function writeAtomic(file, data) {
    const tmp = file + '.' + process.pid;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  }
  function rebuild() {
    const parts = [[], []];
    const starts = [[], []]; // per script: [first line, file] of each module
    const line = [1, 1];
    const out = {};
    const json = {};
    for (const f of new Set([...files.keys(), ...loaded])) {
      if (!loaded.has(f) && !fresh(f, files.get(f))) continue;
      let st;
      let src;
      try {
        st = fs.statSync(f);
        src = fs.readFileSync(f, 'utf8');
      } catch { continue; }
      if (f.endsWith('.json')) {
        json[f] = src;
        out[f] = [0, -1, st.size, st.mtimeMs];
        continue;
      }
      if (mayImport(src)) {
        skip.add(f);
        continue;
      }
      if (src.startsWith('#!')) src = '//' + src.slice(2);
      const n = /[^\x00-\xff]/.test(src) ? 1 : 0;
      out[f] = [n, parts[n].length, st.size, st.mtimeMs];
      const text = HEADER + src + '\n})';
      starts[n].push([line[n], f]);
      line[n] += text.split('\n').length; // and the separator's newline
      parts[n].push(text);
    }
    fs.mkdirSync(dir, { recursive: true });
    const id = Date.now().toString(36) + '-' + process.pid;
    for (const n of [0, 1]) writeAtomic(jsFile(n, id), Buffer.from('[' + parts[n].join(',\n') + ']', ENC[n]));
    writeAtomic(manFile, JSON.stringify({ id, stamp: STAMP, files: out, json, starts, res: Object.fromEntries(res), skip: [...skip] }));
    for (const f of fs.readdirSync(dir)) {
      if (/^[\w-]+\.[01]\.(js|v8)(\.\d+)?$|^pack\.json\.\d+$/.test(f) && !f.startsWith(id + '.')) fs.rmSync(path.join(dir, f), { force: true });
    }
    // The caches of services not run for 30 days (each run touches its pack.json) go.
    const parent = path.dirname(dir);
    for (const other of fs.readdirSync(parent)) {
      if (path.join(parent, other) === dir) continue; // (its pack.json may look old to a skewed clock)
      const st = fs.statSync(path.join(parent, other, 'pack.json'), { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > 30 * 86400e3) fs.rmSync(path.join(parent, other), { recursive: true, force: true });
    }
  }
  process.once('exit', () => {
    let wrote = '-';
    try {
      if (dirty) {
        rebuild();
        wrote = 'modules';
      } else {
        const now = new Date();
        fs.utimesSync(manFile, now, now);
        for (const [n, p] of packs.entries()) {
          if (p && (p.rejected || !p.cached)) {
            writeAtomic(v8File(n), p.script.createCachedData());
            wrote = 'code cache';
          }
        }
      }
    } catch (e) {
      wrote = 'failed: ' + e.message;
    }
    if (process.env.SLS_RS_PLUGIN_CACHE_DEBUG === '1') {
      process.stderr.write(`plugin module cache: ${hits} from the cache, ${misses} from node_modules, wrote ${wrote}\n`);
    }
  });

  // `<dir>/<id>.N.js:LINE:COL` → `<module file>:LINE:COL`.
  function mapStack(text) {
    if (!man || !man.starts || typeof text !== 'string') return text;
    return text.replace(/([^\s(]+\.([01])\.js):(\d+):(\d+)/g, (all, file, n, l, c) => {
      if (file !== jsFile(Number(n))) return all;
      const list = man.starts[n];
      let lo = 0;
      let hi = list.length - 1;
      const want = Number(l);
      if (hi < 0 || want < list[0][0]) return all;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (list[mid][0] <= want) lo = mid; else hi = mid - 1;
      }
      const [start, f] = list[lo];
      // The module's first line follows the wrapper's header (and the list's `[`).
      const col = want === start ? Number(c) - HEADER.length - (lo === 0 ? 1 : 0) : Number(c);
      return `${f}:${want - start + 1}:${col}`;
    });
  }
  return { mapStack };
}

const modules = moduleCache(process.env.SLS_RS_PLUGIN_CACHE_DIR || '', process.cwd());
