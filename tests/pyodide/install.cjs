// Install sofi-bulk under Pyodide as xlwings Lite does, then run a Python file.
//   node install.cjs CACHE SITE TESTS WORK SCRIPT ORIGIN
// CACHE: folder with node_modules/pyodide; SITE: what Lite already has (micropip, xlwings and
// the dependencies, unzipped: mounted at /site, put on sys.path); TESTS: the repository's
// tests folder only (mounted at /src/tests: sofi-bulk itself must come from the installer);
// WORK: the working folder (/inputs); ORIGIN: the page the task pane runs in.
// Every fetch leaves from ORIGIN and is held to a browser's cross-origin rule, at each
// redirect: an answer from elsewhere without Access-Control-Allow-Origin for ORIGIN (or *)
// fails as « Failed to fetch ». Each hop is printed on a line « FETCH {json} ».
const path = require("path");
const fs = require("fs");

async function main() {
  const [cache, site, tests, work, script] = process.argv.slice(2, 7).map((p) => path.resolve(p));
  const origin = process.argv[7];
  const plainFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    let url = request.url;
    for (let hop = 0; hop < 10; hop++) {
      const headers = new Headers(request.headers);
      headers.set("Origin", origin);
      const response = await plainFetch(url, { method: request.method, headers, redirect: "manual" });
      const allowed = response.headers.get("access-control-allow-origin");
      const location = response.headers.get("location");
      const crossOrigin = new URL(url).origin !== origin;
      const blocked = crossOrigin && allowed !== "*" && allowed !== origin;
      console.log("FETCH " + JSON.stringify({ url, status: response.status, allowed, location, blocked }));
      if (blocked) {
        throw new TypeError("Failed to fetch");
      }
      if (response.status >= 300 && response.status < 400 && location) {
        url = new URL(location, url).href;
        continue;
      }
      return response;
    }
    throw new TypeError("Failed to fetch (redirects)");
  };
  const { loadPyodide } = require(path.join(cache, "node_modules", "pyodide", "pyodide.js"));
  // the check's date of the test suite (tests/conftest.py), as the command line reads it
  const env = process.env.SOFI_BULK_TODAY ? { SOFI_BULK_TODAY: process.env.SOFI_BULK_TODAY } : {};
  const py = await loadPyodide({
    env,
    stdout: (s) => console.log(s),
    stderr: (s) => console.error(s),
  });
  for (const [where, root] of [["/site", site], ["/src/tests", tests], ["/inputs", work]]) {
    py.FS.mkdirTree(where);
    py.FS.mount(py.FS.filesystems.NODEFS, { root }, where);
  }
  py.FS.chdir("/inputs");
  await py.runPythonAsync(
    'import sys; sys.path[:0] = ["/site", "/src"]\n' + fs.readFileSync(script, "utf8"),
  );
}

main().catch((error) => {
  console.error(String(error));
  process.exit(1);
});
