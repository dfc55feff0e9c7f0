#!/usr/bin/env python3
"""sls-rs benchmarks: wall time and peak RSS of whole commands, measured on this machine in one
run, against the reference tools on the same inputs.

  packaging  sls-rs package   vs  osls@3 (Serverless Framework v3) package   seed, 200 functions
  invoke     sls-rs invoke local  vs  osls@3 invoke local                   the seed's handler
  zipping    sls-rs package   vs  zip -r -X                                   ~20,000 files, ~100 MB
  deploying  sls-rs deploy    against moto on loopback: full deploy, no-change redeploy,
             diff (unchanged, and a change by change set and by template), deploy function,
             compose deploy of three unchanged services

Each command runs `--runs` times (after one warm-up); the median wall time and the largest
peak RSS (GNU time's %M) are reported. Inputs are generated under bench/out/ (ignored
by git). Usage: bench/run [--runs N] [--skip-node] [--skip-deploy]
"""
import argparse, json, os, random, shutil, socket, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SLS_RS = ROOT / "target" / "release" / "sls-rs"
NODE_DIR = ROOT / "bench" / ".node"
CASES = ROOT / "tests" / "fixtures" / "v3" / "cases"
TIME = "/usr/bin/time"


def measure(cmd, cwd, env=None, runs=5, warmup=1, check=True):
    """Median wall seconds and max peak RSS (MB) of `cmd` over `runs` runs.

    Peak RSS comes from GNU time (`%M`): a child forked from this Python process would report
    Python's own memory as its peak, so the command is started by the small `time` binary.
    """
    times, rss = [], []
    for i in range(warmup + runs):
        with tempfile.NamedTemporaryFile("r") as mem:
            start = time.perf_counter()
            p = subprocess.run([TIME, "-f", "%M", "-o", mem.name, *map(str, cmd)], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            elapsed = time.perf_counter() - start
            if check and p.returncode != 0:
                sys.exit(f"failed: {' '.join(map(str, cmd))} in {cwd}\n{p.stderr.decode(errors='replace')}")
            kb = int(mem.read().strip().splitlines()[-1])
        if i >= warmup:
            times.append(elapsed)
            rss.append(kb / 1024)
    return statistics.median(times), max(rss)


def copy_case(name, dest):
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(CASES / name, dest, ignore=shutil.ignore_patterns("expected", "env.txt", "args.txt"))
    for p in dest.rglob("*"):
        os.chmod(p, 0o755 if p.is_dir() or os.access(p, os.X_OK) else 0o644)


def gen_many_functions(dest, n=200):
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    (dest / "handler.js").write_text("module.exports.h = async () => ({ statusCode: 200 });\n")
    # 200 functions fit in one stack (500 resources) only unversioned: 200 functions, 200 log
    # groups, the role and the bucket.
    lines = ["service: many", "provider:", "  name: aws", "  runtime: nodejs22.x", "  versionFunctions: false", "functions:"]
    for i in range(n):
        lines += [f"  f{i}:", "    handler: handler.h"]
    (dest / "serverless.yml").write_text("\n".join(lines) + "\n")


def gen_tree(dest, files=20_000, total_mb=100):
    """A node_modules tree: 500 packages of many small text files and some larger ones,
    deterministic. Each package has a package.json and the service's package.json depends on
    all of them, so the dev-dependency walk runs over the whole tree (and keeps everything,
    like `zip -r`)."""
    marker = dest / ".complete-v2"
    if marker.exists():
        return
    if dest.exists():
        shutil.rmtree(dest)
    rnd = random.Random(42)
    words = [("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 10)))) for _ in range(2000)]
    (dest).mkdir(parents=True)
    (dest / "handler.js").write_text("module.exports.h = async () => require('pkg0');\n")
    (dest / "serverless.yml").write_text("service: big\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n  h:\n    handler: handler.h\n")
    budget = total_mb * 1_000_000
    sizes = [max(200, int(rnd.lognormvariate(8.0, 1.2))) for _ in range(files)]
    scale = budget / sum(sizes)
    packages = sorted({f"pkg{i // 40}" for i in range(files)})
    for i, size in enumerate(sizes):
        pkg = f"pkg{i // 40}"
        d = dest / "node_modules" / pkg / ("lib" if i % 3 else "dist")
        d.mkdir(parents=True, exist_ok=True)
        target = int(size * scale)
        chunks, n = [], 0
        while n < target:
            w = rnd.choice(words)
            chunks.append(w)
            n += len(w) + 1
        (d / f"m{i}.js").write_text(" ".join(chunks)[:target])
    for k, pkg in enumerate(packages):
        deps = {packages[k + 1]: "1.0.0"} if k + 1 < len(packages) else {}
        (dest / "node_modules" / pkg / "package.json").write_text(json.dumps({"name": pkg, "version": "1.0.0", "dependencies": deps}))
    (dest / "package.json").write_text(json.dumps({"name": "big", "dependencies": {p: "1.0.0" for p in packages}}))
    marker.write_text("ok")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def row(name, ours, theirs, label):
    t1, m1 = ours
    t2, m2 = theirs
    return f"| {name} | {t1 * 1000:.1f} ms, {m1:.1f} MB | {label}: {t2 * 1000:.1f} ms, {m2:.1f} MB | {t2 / t1:.1f}x |"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip-node", action="store_true")
    ap.add_argument("--skip-deploy", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, SOURCE_DATE_EPOCH="1795700000", BUCKET="my-upload-bucket", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1", SLS_TELEMETRY_DISABLED="1", SLS_NOTIFICATIONS_MODE="off")
    sls_rs = [str(SLS_RS), "package", "--quiet"]
    print(f"machine: {os.cpu_count()} cores; sls-rs {subprocess.run([str(SLS_RS), '--version'], capture_output=True, text=True).stdout.strip()}")
    lines = ["| input | sls-rs | reference | speed-up |", "|---|---|---|---|"]

    seed = OUT / "seed"
    copy_case("seed", seed)
    many = OUT / "many"
    gen_many_functions(many)
    print("generating the large tree (once)…", flush=True)
    tree = OUT / "tree"
    gen_tree(tree)
    nfiles = sum(1 for p in (tree / "node_modules").rglob("*") if p.is_file())
    nbytes = sum(p.stat().st_size for p in (tree / "node_modules").rglob("*") if p.is_file())

    ours_seed = measure(sls_rs, seed, env, args.runs)
    ours_many = measure(sls_rs, many, env, args.runs)
    if not args.skip_node:
        osls = NODE_DIR / "node_modules" / ".bin" / "osls"
        if not osls.exists():
            print("installing osls@3 with npm (once)…", flush=True)
            NODE_DIR.mkdir(parents=True, exist_ok=True)
            subprocess.run(["npm", "install", "--silent", "--prefix", str(NODE_DIR), "osls@3"], check=True)
        v3 = [str(osls), "package"]
        runs = max(1, min(args.runs, 3))
        lines.append(row("seed service (1 function)", ours_seed, measure(v3, seed, env, runs), "osls@3"))
        lines.append(row("200 functions", ours_many, measure(v3, many, env, runs), "osls@3"))
        # `invoke local` of the seed's handler: both run it with the same node.
        inv = ["invoke", "local", "-f", "hello", "-d", '{"name": "bench"}']
        ours_inv = measure([str(SLS_RS), *inv], seed, env, args.runs)
        theirs_inv = measure([str(osls), *inv], seed, env, runs)
        lines.append(row("`invoke local` of the seed's handler", ours_inv, theirs_inv, "osls@3"))
    else:
        lines.append(f"| seed service | {ours_seed[0] * 1000:.1f} ms, {ours_seed[1]:.1f} MB | (skipped) | |")
        lines.append(f"| 200 functions | {ours_many[0] * 1000:.1f} ms, {ours_many[1]:.1f} MB | (skipped) | |")
    # 300 functions with a schedule each: past one stack, so in nested stacks (issue #13's
    # target: `package --dry-run` under 100 ms).
    nested = OUT / "nested"
    if nested.exists():
        shutil.rmtree(nested)
    nested.mkdir(parents=True)
    (nested / "handler.js").write_text("module.exports.h = async () => 1;\n")
    ns = ["service: many", "provider:", "  name: aws", "  runtime: nodejs22.x", "functions:"]
    for i in range(300):
        ns += [f"  f{i}:", "    handler: handler.h", "    events:", "      - schedule: rate(1 hour)"]
    (nested / "serverless.yml").write_text("\n".join(ns) + "\n")
    ours_nested = measure([str(SLS_RS), "package", "--dry-run", "--quiet"], nested, env, args.runs)
    lines.append(f"| `package --dry-run`, 300 functions with a schedule each (32 nested stacks) | {ours_nested[0] * 1000:.1f} ms, {ours_nested[1]:.1f} MB | target < 100 ms | |")
    zip_out = OUT / "tree.zip"
    ours_tree = measure(sls_rs, tree, env, args.runs)
    theirs_tree = measure(["sh", "-c", f"rm -f {zip_out} && zip -q -r -X {zip_out} ."], tree, env, args.runs)
    lines.append(row(f"{nfiles:,} files, {nbytes / 1e6:.0f} MB tree", ours_tree, theirs_tree, "zip -r -X"))

    # A service with a plugin: serverless-esbuild bundles a TypeScript handler, through the
    # plugin host (the tests' fixture, installed by scripts/node-fixtures).
    esb_src = ROOT / "tests" / "fixtures" / "plugins" / "esbuild"
    if not args.skip_node and (esb_src / "node_modules").is_dir():
        esb = OUT / "esbuild"
        if esb.exists():
            shutil.rmtree(esb)
        esb.mkdir(parents=True)
        for n in ["serverless.yml", "handler.ts", "package.json"]:
            shutil.copy(esb_src / n, esb / n)
        (esb / "node_modules").symlink_to(esb_src / "node_modules")
        # The plugin host's module cache: two warm-ups (the first writes the modules, the
        # second V8's code cache), then runs from it; and the same with the cache off.
        cache = OUT / "cache"
        if cache.exists():
            shutil.rmtree(cache)
        cached_env = dict(env or os.environ, XDG_CACHE_HOME=str(cache))
        ours_esb = measure(sls_rs, esb, cached_env, args.runs, warmup=2)
        ours_esb_cold = measure(sls_rs, esb, dict(env or os.environ, SLS_RS_PLUGIN_CACHE="0"), args.runs)
        theirs_esb = measure([str(NODE_DIR / "node_modules" / ".bin" / "osls"), "package"], esb, env, max(1, min(args.runs, 3)))
        lines.append(row("serverless-esbuild service (TypeScript bundled by the plugin; module cache)", ours_esb, theirs_esb, "osls@3"))
        lines.append(row("serverless-esbuild service, `SLS_RS_PLUGIN_CACHE=0`", ours_esb_cold, theirs_esb, "osls@3"))
        # Node.js reads every certificate NODE_EXTRA_CA_CERTS names when it starts (~0.09 s for
        # a system bundle): both tools pay it where the variable is set, as on this machine;
        # the same pair without it, as on a machine that does not set it.
        base = env or os.environ
        if base.get("NODE_EXTRA_CA_CERTS"):
            plain = {k: v for k, v in base.items() if k != "NODE_EXTRA_CA_CERTS"}
            ours_plain = measure(sls_rs, esb, dict(plain, XDG_CACHE_HOME=str(cache)), args.runs)
            theirs_plain = measure([str(NODE_DIR / "node_modules" / ".bin" / "osls"), "package"], esb, plain, max(1, min(args.runs, 3)))
            lines.append(row("serverless-esbuild service (module cache), both without `NODE_EXTRA_CA_CERTS`", ours_plain, theirs_plain, "osls@3"))

    if not args.skip_deploy:
        moto_server = shutil.which("moto_server") or str(ROOT / ".venv" / "bin" / "moto_server")
        port = free_port()
        moto = subprocess.Popen([moto_server, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            denv = dict(env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent", AWS_EC2_METADATA_DISABLED="true")
            dep = OUT / "deploy-seed"
            copy_case("seed", dep)
            # The seed's nodejs20.x is no longer accepted by AWS, and sls-rs refuses it.
            (dep / "serverless.yml").write_text((dep / "serverless.yml").read_text().replace("nodejs20.x", "nodejs22.x"))
            full = measure([str(SLS_RS), "deploy", "--quiet", "--force"], dep, denv, runs=args.runs, warmup=1)
            nochange = measure([str(SLS_RS), "deploy", "--quiet"], dep, denv, runs=args.runs, warmup=1)
            lines.append(f"| deploy seed to moto (full update, --force) | {full[0] * 1000:.1f} ms, {full[1]:.1f} MB | | |")
            lines.append(f"| deploy seed to moto (no change) | {nochange[0] * 1000:.1f} ms, {nochange[1]:.1f} MB | target < 300 ms | |")
            # `diff` of the deployed seed: unchanged (no change set to ask for), then with a memory
            # size the deploy would change, by each method (a change set created, described and
            # deleted; the resource schemas alone).
            diff_same = measure([str(SLS_RS), "diff", "--quiet"], dep, denv, runs=args.runs, warmup=1)
            yml = dep / "serverless.yml"
            deployed_yml = yml.read_text()
            yml.write_text(deployed_yml.replace("    handler: handler.hello\n", "    handler: handler.hello\n    memorySize: 512\n"))
            diff_cs = measure([str(SLS_RS), "diff", "--quiet"], dep, denv, runs=args.runs, warmup=1)
            diff_tpl = measure([str(SLS_RS), "diff", "--quiet", "--method", "template"], dep, denv, runs=args.runs, warmup=1)
            yml.write_text(deployed_yml)
            lines.append(f"| diff seed against moto, no change | {diff_same[0] * 1000:.1f} ms, {diff_same[1]:.1f} MB | target < 300 ms | |")
            lines.append(f"| diff seed against moto, memory changed (change set) | {diff_cs[0] * 1000:.1f} ms, {diff_cs[1]:.1f} MB | target < 300 ms | |")
            lines.append(f"| diff seed against moto, memory changed (--method template) | {diff_tpl[0] * 1000:.1f} ms, {diff_tpl[1]:.1f} MB | target < 300 ms | |")
            # `deploy function`: the deployed code (nothing sent), then a changed handler each run.
            same = measure([str(SLS_RS), "deploy", "function", "-f", "hello", "--quiet"], dep, denv, runs=args.runs, warmup=1)
            handler = dep / "handler.js"
            original = handler.read_text()
            # Each run appends a line with the shell's PID, so the code differs every time.
            changed_run = measure(["sh", "-c", f"printf '\\n// %s\\n' $$ >> handler.js && exec {SLS_RS} deploy function -f hello --quiet"], dep, denv, runs=args.runs, warmup=1)
            handler.write_text(original)
            # compose: three services (api takes queue's output as a parameter), deployed once,
            # then deployed again unchanged.
            comp = OUT / "compose"
            if comp.exists():
                shutil.rmtree(comp)
            services = {
                "queue": "service: queue\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  deploymentMethod: direct\nfunctions:\n  hello:\n    handler: handler.hello\nresources:\n  Resources:\n    Jobs:\n      Type: AWS::SQS::Queue\n  Outputs:\n    QueueUrl:\n      Value: !Ref Jobs\n",
                "api": "service: api\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  environment:\n    QUEUE_URL: ${param:queueUrl}\nfunctions:\n  hello:\n    handler: handler.hello\n",
                "jobs": "service: jobs\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n  hello:\n    handler: handler.hello\n",
            }
            for name, yml in services.items():
                (comp / name).mkdir(parents=True)
                (comp / name / "serverless.yml").write_text(yml)
                (comp / name / "handler.js").write_text("module.exports.hello = async () => 1;\n")
            (comp / "serverless-compose.yml").write_text("services:\n  queue:\n    path: queue\n  api:\n    path: api\n    params:\n      queueUrl: ${queue.QueueUrl}\n  jobs:\n    path: jobs\n")
            subprocess.run([str(SLS_RS), "compose", "deploy", "--quiet"], cwd=comp, env=denv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            compose_same = measure([str(SLS_RS), "compose", "deploy", "--quiet"], comp, denv, runs=args.runs, warmup=1)
            lines.append(f"| compose deploy of three unchanged services (moto) | {compose_same[0] * 1000:.1f} ms, {compose_same[1]:.1f} MB | target < 1 s | |")
            lines.append(f"| deploy function, code unchanged (moto) | {same[0] * 1000:.1f} ms, {same[1]:.1f} MB | target < 150 ms | |")
            lines.append(f"| deploy function, code changed (moto) | {changed_run[0] * 1000:.1f} ms, {changed_run[1]:.1f} MB | target < 500 ms | |")
        finally:
            moto.terminate()
            moto.wait()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
