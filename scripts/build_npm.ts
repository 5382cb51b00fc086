/**
 * The npm build: deno.json → `deno pack` → checked npm tarball in `dist/` →
 * installed into a scratch Node project → smoke run and the whole test suite
 * under `node --test` against the installed package.
 *
 * Run it with `deno task build:npm` (flags: `--keep-scratch` keeps the scratch
 * project for inspection; it is also kept when a step fails). JSR is
 * unreachable here, so there is no dnt: `deno pack` ships with Deno and works
 * offline. esbuild (npm) transpiles the tests for Node.
 *
 * How the tests reach the package (see docs/development.md, "Tests under Node"):
 * - an import of the project's `mod.ts` becomes the bare specifier
 *   `@q4d/q4d`, resolved by Node through the package's `exports`;
 * - an import of an internal module (`src/...`) that the package ships
 *   becomes an import of that very file inside
 *   `node_modules/@q4d/q4d/` — so tests run the packed JavaScript, and
 *   `QueueError` is one class whether a test reached it through `mod.ts` or
 *   through `src/errors.ts`;
 * - a `src/` module the package does not ship (reachable only from tests,
 *   e.g. a fault-injecting file system) is bundled into the test from source,
 *   its own imports again pointing into the package;
 * - `npm:` imports become bare package names (installed into the scratch
 *   project), `node:` imports stay as they are.
 *
 * @module
 */

import * as esbuild from "npm:esbuild@0.28.2";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository root (this file is `scripts/build_npm.ts`). */
const rootDir: string = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Build output; gitignored. */
const distDir: string = join(rootDir, "dist");
/** The package's public entry in the source tree. */
const modPath: string = join(rootDir, "mod.ts");
/** The Node smoke script, run with plain `node` in the scratch project. */
const smokeScriptPath: string = join(rootDir, "scripts", "node_smoke.mjs");
/** Oldest Node major the package may declare; `node:test` exists from 18 on. */
const nodeMajorMin = 18;
/** What the package declares: Node 20 is what this build actually tests. */
const nodeEngineRange = ">=20";
/** One line for npm's package page. */
const packageDescription =
  "Durable message queue for Deno and Node: tables as queues (Q4M re-created), SQL front door, group commit";
/** The Node binary the package is tried with (from PATH, like a user's). */
const nodeCommand = "node";
/** Node's target for the transpiled tests. */
const nodeTarget = "node20";

/** A package.json as far as this script reads or writes it. */
interface PackageJson {
  name: string;
  version: string;
  type?: string;
  license?: string;
  description?: string;
  main?: string;
  types?: string;
  exports?: Record<string, Record<string, string> | string> | string;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** What the build left behind, for the summary. */
interface BuildResult {
  tarballPath: string;
  scratchDir: string;
  testFileCount: number;
}

/** Parsed command-line flags. */
interface BuildOptions {
  keepScratch: boolean;
}

function parseOptions(args: string[]): BuildOptions {
  const options: BuildOptions = { keepScratch: false };
  for (const arg of args) {
    if (arg === "--keep-scratch") options.keepScratch = true;
    else throw new Error(`unknown flag ${arg}; the only flag is --keep-scratch`);
  }
  return options;
}

// ---------------------------------------------------------------------------
// Small helpers: sections, child processes, files.

function section(title: string): number {
  console.log(`\n=== build:npm: ${title}`);
  return performance.now();
}

function sectionDone(startMs: number): void {
  console.log(`--- ${((performance.now() - startMs) / 1000).toFixed(1)} s`);
}

/** Runs a command with inherited output; throws when it exits non-zero. */
async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<void> {
  const child = new Deno.Command(command, {
    args,
    cwd: options.cwd ?? rootDir,
    env: options.env ?? {},
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  });
  const status = await child.output();
  if (!status.success) {
    throw new Error(`${command} ${args.join(" ")} failed with exit code ${status.code}`);
  }
}

/** The `js` block of the README's "### Node" section: the program a Node user writes. */
async function readmeNodeProgram(): Promise<string> {
  const readme = await Deno.readTextFile(join(rootDir, "README.md"));
  const start = readme.indexOf("\n### Node\n");
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(start));
  if (start < 0 || block?.[1] === undefined) throw new Error("README has no ### Node js block");
  return block[1];
}

/** Runs a command and returns its standard output; throws when it exits non-zero. */
async function capture(command: string, args: string[], cwd: string): Promise<string> {
  const child = new Deno.Command(command, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  });
  const output = await child.output();
  if (!output.success) {
    throw new Error(`${command} ${args.join(" ")} failed with exit code ${output.code}`);
  }
  return new TextDecoder().decode(output.stdout);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Every file under `dir`, as paths relative to it, sorted. */
async function listFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(current: string): Promise<void> {
    for await (const entry of Deno.readDir(current)) {
      const path = join(current, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile) found.push(relative(dir, path));
    }
  }
  if (await exists(dir)) await walk(dir);
  return found.sort();
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(path)) as T;
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`package check failed: ${message}`);
}

// ---------------------------------------------------------------------------
// 1. Pack and finish the package.

/**
 * `deno pack` into `dist/`, unpacked to `dist/package/` for post-processing.
 * `--allow-dirty`: the build runs on working trees too; CI's clone is clean.
 * `--no-source-maps`: the inline maps carried every source again and the
 * build machine's absolute paths (295 KB against 81 KB packed); the emitted
 * JavaScript keeps the source's layout and comments, so it reads as is.
 */
async function packWithDeno(): Promise<string> {
  await Deno.remove(distDir, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await Deno.mkdir(distDir, { recursive: true });
  const rawTarball = join(distDir, "deno-pack.tgz");
  await run(Deno.execPath(), [
    "pack",
    "--allow-dirty",
    "--no-source-maps",
    "--output",
    rawTarball,
  ]);
  console.log(
    "(a 'Could not generate types' line names a module outside the public types; " +
      "the .d.ts graph is checked below)",
  );
  await run("tar", ["-xzf", rawTarball, "-C", distDir]);
  await Deno.remove(rawTarball);
  return join(distDir, "package");
}

/**
 * What `deno pack` (Deno 2.9) leaves to us: it writes no `engines` and no
 * `description` (its package.json generator has no field for them, and it
 * reads no package.json), so they are added here; and it copies `src/` files
 * that `publish.include` matches but no export reaches as raw `.ts`, which no
 * Node user can load, so they are dropped (tests bundle them from source).
 */
async function finishPackage(packageDir: string): Promise<string[]> {
  const packageJsonPath = join(packageDir, "package.json");
  const packageJson = await readJson<PackageJson>(packageJsonPath);
  packageJson.description ??= packageDescription;
  packageJson.engines = { ...packageJson.engines, node: nodeEngineRange };
  // deno pack writes `^x.y.z` for an `npm:name@x.y.z` import; the source pins
  // exact versions (the NATS client of `./nats`), so the package does too.
  for (const [name, range] of Object.entries(packageJson.dependencies ?? {})) {
    packageJson.dependencies![name] = range.replace(/^\^/, "");
  }
  // The `q4d` command (`npx q4d serve`): the "./cli" export, run by Node through its shebang.
  const cliExport = (packageJson.exports as Record<string, Record<string, string>> | undefined)
    ?.["./cli"];
  const cliPath = cliExport?.import ?? cliExport?.default;
  if (cliPath !== undefined) {
    packageJson.bin = { q4d: cliPath };
    const cliFile = join(packageDir, cliPath);
    const cliText = await Deno.readTextFile(cliFile);
    if (!cliText.startsWith("#!")) {
      await Deno.writeTextFile(cliFile, "#!/usr/bin/env node\n" + cliText);
    }
  }
  await Deno.writeTextFile(packageJsonPath, JSON.stringify(packageJson, null, 2) + "\n");

  const dropped: string[] = [];
  for (const file of await listFiles(packageDir)) {
    if (file.endsWith(".ts") && !file.endsWith(".d.ts")) {
      await Deno.remove(join(packageDir, file));
      dropped.push(file);
    }
  }
  return dropped;
}

/** The package's public shape, checked before anything installs it. */
async function checkPackage(packageDir: string): Promise<PackageJson> {
  const packageJson = await readJson<PackageJson>(join(packageDir, "package.json"));
  const files = new Set(await listFiles(packageDir));
  const shipped = (path: string): boolean => files.has(path.replace(/^\.\//, ""));

  check(packageJson.name === "@q4d/q4d", `name is ${packageJson.name}, expected @q4d/q4d`);
  check(packageJson.type === "module", `type is ${packageJson.type}, expected module`);
  check(packageJson.license === "MIT", `license is ${packageJson.license}, expected MIT`);
  const nodeRange = packageJson.engines?.node ?? "";
  const nodeMajor = Number(/^>=\s*(\d+)/.exec(nodeRange)?.[1] ?? NaN);
  check(nodeMajor >= nodeMajorMin, `engines.node is "${nodeRange}", expected >=${nodeMajorMin}`);
  check(
    typeof packageJson.main === "string" && shipped(packageJson.main),
    `main ${packageJson.main} is not in the package`,
  );
  check(
    typeof packageJson.types === "string" && shipped(packageJson.types),
    `types ${packageJson.types} is not in the package`,
  );

  const exportsField = packageJson.exports;
  check(
    typeof exportsField === "object" && exportsField !== null && "." in exportsField,
    `exports has no "." entry`,
  );
  for (const [subpath, target] of Object.entries(exportsField as Record<string, unknown>)) {
    check(typeof target === "object" && target !== null, `exports["${subpath}"] is not an object`);
    const conditions = target as Record<string, string>;
    for (const condition of ["types", "import", "default"]) {
      check(
        typeof conditions[condition] === "string" && shipped(conditions[condition]),
        `exports["${subpath}"].${condition} (${conditions[condition]}) is not in the package`,
      );
    }
    check(
      conditions.types?.endsWith(".d.ts") === true,
      `exports["${subpath}"].types is not a .d.ts`,
    );
  }

  // deno pack writes a .d.ts only for modules the public types reach, so the
  // check is that the declaration graph is closed: every relative import of
  // every .d.ts has its own .d.ts. (That each runtime export has a type is
  // checked after install, by checkExportTypes.)
  for (const file of files) {
    const text = await Deno.readTextFile(join(packageDir, file));
    if (file.endsWith(".js")) {
      check(!/["'](jsr:|@jsr\/)/.test(text), `${file} imports from JSR, unreachable for our users`);
    }
    if (!file.endsWith(".d.ts")) continue;
    for (const match of text.matchAll(/\bfrom\s+["'](\.\.?\/[^"']+)\.js["']/g)) {
      const target = join(dirname(file), `${match[1]}.d.ts`);
      check(files.has(target), `${file} refers to ${target}, which is not in the package`);
    }
  }
  check(files.has("README.md"), "README.md is missing");
  check(files.has("LICENSE"), "LICENSE is missing");
  return packageJson;
}

/** Re-packs the finished directory with npm itself; returns the tarball's path. */
async function packWithNpm(packageDir: string): Promise<string> {
  const output = await capture(
    "npm",
    ["pack", packageDir, "--pack-destination", distDir, "--json", "--silent"],
    distDir,
  );
  const packed = JSON.parse(output) as { filename: string }[];
  const tarball = packed[0]?.filename;
  check(tarball !== undefined, "deno pack names its tarball");
  const tarballPath = join(distDir, tarball);
  check(await exists(tarballPath), `npm pack did not write ${tarballPath}`);
  return tarballPath;
}

// ---------------------------------------------------------------------------
// 2. A scratch Node project that installs the tarball like a user would.

async function makeScratchProject(tarballPath: string, packageJson: PackageJson): Promise<string> {
  const scratchDir = await Deno.makeTempDir({ prefix: "q4d-npm-" });
  const scratchPackageJson = { name: "q4d-npm-scratch", private: true, type: "module" };
  await Deno.writeTextFile(
    join(scratchDir, "package.json"),
    JSON.stringify(scratchPackageJson, null, 2) + "\n",
  );
  // No dependencies: the install must work with no registry at all.
  const hasDependencies = Object.keys(packageJson.dependencies ?? {}).length > 0;
  await run("npm", [
    "install",
    "--no-audit",
    "--no-fund",
    hasDependencies ? "--prefer-offline" : "--offline",
    tarballPath,
  ], { cwd: scratchDir });
  return scratchDir;
}

/**
 * Every runtime export of the installed package must have a type: the names
 * Node sees on `import("@q4d/q4d")` are checked against the package's `.d.ts`
 * by `deno check` of a probe that resolves the package like a TS user would.
 */
async function checkExportTypes(scratchDir: string): Promise<string[]> {
  const listing = await capture(nodeCommand, [
    "--input-type=module",
    "--eval",
    'const m = await import("@q4d/q4d"); console.log(JSON.stringify(Object.keys(m)));',
  ], scratchDir);
  const names = JSON.parse(listing) as string[];
  check(names.length > 0, "the package exports nothing at run time");
  const probe = [
    "// Generated by scripts/build_npm.ts: fails to type-check if a runtime export has no type.",
    'import * as q4d from "@q4d/q4d";',
    `export const names: ReadonlyArray<keyof typeof q4d> = ${JSON.stringify(names)};`,
    "",
  ].join("\n");
  await Deno.writeTextFile(join(scratchDir, "types_probe.ts"), probe);
  await run(Deno.execPath(), ["check", "types_probe.ts"], { cwd: scratchDir });
  return names;
}

// ---------------------------------------------------------------------------
// 3. The test suite, transpiled for Node against the installed package.

/** Maps an `npm:name@version/sub` specifier to `name/sub` plus `name@version`. */
function parseNpmSpecifier(specifier: string): { importPath: string; install: string } {
  const body = specifier.slice("npm:".length).replace(/^\//, "");
  const match = /^((?:@[^/]+\/)?[^/@]+)(?:@([^/]+))?(\/.*)?$/.exec(body);
  if (match === null) throw new Error(`cannot read npm specifier ${specifier}`);
  const [, name = "", version, subpath] = match;
  return {
    importPath: name + (subpath ?? ""),
    install: version === undefined ? name : `${name}@${version}`,
  };
}

/**
 * The esbuild plugin that points the tests at the installed package (the
 * rules are in this file's header).
 */
function packageResolverPlugin(
  installedDir: string,
  shippedFiles: Set<string>,
  npmInstalls: Set<string>,
): esbuild.Plugin {
  return {
    name: "q4d-installed-package",
    setup(build: esbuild.PluginBuild): void {
      build.onResolve({ filter: /^jsr:/ }, (args) => ({
        errors: [{ text: `${args.path}: JSR is unreachable here; use npm: or node: instead` }],
      }));
      build.onResolve({ filter: /^npm:/ }, (args) => {
        const { importPath, install } = parseNpmSpecifier(args.path);
        npmInstalls.add(install);
        return { path: importPath, external: true };
      });
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        const absolutePath = resolve(args.resolveDir, args.path);
        if (absolutePath === modPath) return { path: "@q4d/q4d", external: true };
        const fromRoot = relative(rootDir, absolutePath);
        if (!fromRoot.startsWith("src/") || !fromRoot.endsWith(".ts")) return undefined;
        const shippedFile = fromRoot.replace(/\.ts$/, ".js");
        if (!shippedFiles.has(shippedFile)) return undefined; // bundled from source
        return { path: pathToFileURL(join(installedDir, shippedFile)).href, external: true };
      });
    },
  };
}

/**
 * Transpiles every `.ts` under `tests/` into `<scratch>/tests/` (same layout,
 * `.js`): the `*_test.ts` files, and helpers that tests start as child
 * processes (a test finds `_child.js` beside its own `.js`). Other files
 * (fixtures) are copied. Returns the transpiled `*_test.js` files, relative
 * to the scratch project.
 */
async function transpileTests(scratchDir: string): Promise<string[]> {
  const testsDir = join(rootDir, "tests");
  const outDir = join(scratchDir, "tests");
  const sourceFiles = await listFiles(testsDir);
  const entryPoints = sourceFiles.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
    .map((file) => join(testsDir, file));
  const testFiles = sourceFiles.filter((file) => file.endsWith("_test.ts"))
    .map((file) => join("tests", file.replace(/\.ts$/, ".js")));
  if (testFiles.length === 0) throw new Error(`no *_test.ts files under ${testsDir}`);

  for (const file of sourceFiles) {
    if (/\.(ts|tsx|js|mjs)$/.test(file)) continue;
    await Deno.mkdir(dirname(join(outDir, file)), { recursive: true });
    await Deno.copyFile(join(testsDir, file), join(outDir, file));
  }

  const installedDir = join(scratchDir, "node_modules", "@q4d", "q4d");
  const shippedFiles = new Set(await listFiles(installedDir));
  const npmInstalls = new Set<string>();
  const result = await esbuild.build({
    entryPoints,
    outdir: outDir,
    outbase: testsDir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: nodeTarget,
    sourcemap: "inline",
    logLevel: "warning",
    plugins: [packageResolverPlugin(installedDir, shippedFiles, npmInstalls)],
  });
  if (result.errors.length > 0) throw new Error("esbuild failed to transpile the tests");
  if (npmInstalls.size > 0) {
    await run("npm", ["install", "--no-audit", "--no-fund", ...npmInstalls], { cwd: scratchDir });
  }
  return testFiles;
}

// ---------------------------------------------------------------------------

async function build(options: BuildOptions): Promise<BuildResult> {
  let startMs = section("deno pack");
  const packageDir = await packWithDeno();
  const dropped = await finishPackage(packageDir);
  if (dropped.length > 0) {
    console.log(`dropped ${dropped.length} unreachable source file(s): ${dropped.join(", ")}`);
  }
  const packageJson = await checkPackage(packageDir);
  const tarballPath = await packWithNpm(packageDir);
  console.log(`package.json: ${JSON.stringify(packageJson)}`);
  console.log(`tarball: ${relative(rootDir, tarballPath)}`);
  sectionDone(startMs);

  startMs = section("install into a scratch Node project");
  const scratchDir = await makeScratchProject(tarballPath, packageJson);
  console.log(`scratch project: ${scratchDir}`);
  const names = await checkExportTypes(scratchDir);
  console.log(`runtime exports, all typed: ${names.join(", ")}`);
  sectionDone(startMs);

  try {
    startMs = section('node smoke: import { open } from "@q4d/q4d"');
    await Deno.copyFile(smokeScriptPath, join(scratchDir, "node_smoke.mjs"));
    await run(nodeCommand, ["node_smoke.mjs"], { cwd: scratchDir });
    sectionDone(startMs);

    startMs = section("README's Node program, verbatim");
    await Deno.writeTextFile(join(scratchDir, "readme_main.js"), await readmeNodeProgram());
    const printed = (await capture(nodeCommand, ["readme_main.js"], scratchDir)).trim();
    if (printed !== "hello") throw new Error(`README's Node program printed ${printed}`);
    console.log(`printed: ${printed}`);
    sectionDone(startMs);

    startMs = section("transpile tests for Node (esbuild)");
    const testFiles = await transpileTests(scratchDir);
    console.log(`${testFiles.length} test file(s)`);
    sectionDone(startMs);

    // Last, so that node's own summary closes the output.
    const nodeVersion = (await capture(nodeCommand, ["--version"], scratchDir)).trim();
    // Files in parallel, as deno task test runs them: Node's default is one
    // fewer than the CPU count (one file at a time on this 2-core machine),
    // and most of these tests wait on timers, children and sockets.
    const concurrency = Math.max(3, navigator.hardwareConcurrency);
    section(`node --test (Node ${nodeVersion}, ${concurrency} files at once)`);
    await run(nodeCommand, ["--test", `--test-concurrency=${concurrency}`, ...testFiles], {
      cwd: scratchDir,
    });

    if (!options.keepScratch) await Deno.remove(scratchDir, { recursive: true });
    return { tarballPath, scratchDir, testFileCount: testFiles.length };
  } catch (error) {
    console.error(`build:npm: scratch project kept for inspection: ${scratchDir}`);
    throw error;
  }
}

if (import.meta.main) {
  try {
    await build(parseOptions(Deno.args));
  } catch (error) {
    console.error(`build:npm failed: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exitCode = 1;
  } finally {
    await esbuild.stop();
  }
}
