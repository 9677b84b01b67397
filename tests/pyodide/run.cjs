// Run a Python file under Pyodide in Node, the way xlwings Lite runs sofi-bulk.
//   node run.cjs CACHE SITE SOURCE WORK SCRIPT
// CACHE: folder with node_modules/pyodide; SITE: unzipped wheels (mounted at /site, put on
// sys.path); SOURCE: the repository (mounted at /src, on sys.path for tests.*); WORK: input
// files (mounted at /inputs, the working folder: scripts name them by relative paths);
// SCRIPT: the Python file to run. What the script prints goes to stdout; a Python error exits with status 1.
const path = require("path");
const fs = require("fs");

async function main() {
  const [cache, site, source, work, script] = process.argv.slice(2).map((p) => path.resolve(p));
  const { loadPyodide } = require(path.join(cache, "node_modules", "pyodide", "pyodide.js"));
  const started = Date.now();
  // the check's date of the test suite (tests/conftest.py), as CPython reads it
  const env = process.env.SOFI_BULK_TODAY ? { SOFI_BULK_TODAY: process.env.SOFI_BULK_TODAY } : {};
  const py = await loadPyodide({
    env,
    stdout: (s) => console.log(s),
    stderr: (s) => console.error(s),
  });
  const loaded = Date.now();
  for (const [where, root] of [["/site", site], ["/src", source], ["/inputs", work]]) {
    py.FS.mkdirTree(where);
    py.FS.mount(py.FS.filesystems.NODEFS, { root }, where);
  }
  py.FS.chdir("/inputs");
  py.globals.set("PYODIDE_START_SECONDS", (loaded - started) / 1000);
  await py.runPythonAsync(
    'import sys; sys.path[:0] = ["/site", "/src"]\n' + fs.readFileSync(script, "utf8"),
  );
}

main().catch((error) => {
  console.error(String(error));
  process.exit(1);
});
