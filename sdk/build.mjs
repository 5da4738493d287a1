// Builds the SDK and the widget from these sources (npm run build), or checks that the
// committed builds are current (npm run check; CI runs it):
//   src/index.js  -> ../widget_server/static/sdk.js    (ES module, served at /sdk.js)
//   widget/main.js -> ../widget_server/static/widget.js (one classic script, no globals
//                     but window.LegionChat; the plugins bundle it verbatim)
//   sdk.d.ts      -> ../widget_server/static/sdk.d.ts  (served at /sdk.d.ts)
// The outputs stay readable (not minified): the server minifies what it serves.
import * as esbuild from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "widget_server", "static");
const common = {
  bundle: true,
  write: false,
  charset: "utf8",
  target: ["es2018"],
  legalComments: "none",
  logLevel: "error",
};

const builds = [
  {
    ...common,
    entryPoints: [join(here, "src", "index.js")],
    format: "esm",
    target: ["es2020"], // import.meta.url: where the module came from (authUrl's default)
    outfile: join(out, "sdk.js"),
    banner: {
      js: "/*! Legion JavaScript SDK · MIT licence · an ES module, no dependencies. Built from sdk/src (npm run build); edit the sources. */",
    },
  },
  {
    ...common,
    entryPoints: [join(here, "widget", "main.js")],
    format: "iife",
    outfile: join(out, "widget.js"),
    banner: {
      // Strict, as the ES modules it is built from are.
      js: '/*! Legion chat widget · MIT licence · one file, no dependencies. Built from sdk/ (npm run build); edit the sources. */\n"use strict";',
    },
  },
];

const outputs = [];
for (const options of builds) {
  const result = await esbuild.build(options);
  for (const file of result.outputFiles) outputs.push([file.path, file.text]);
}
outputs.push([join(out, "sdk.d.ts"), readFileSync(join(here, "sdk.d.ts"), "utf8")]);

const check = process.argv.includes("--check");
let stale = 0;
for (const [path, text] of outputs) {
  let current = null;
  try {
    current = readFileSync(path, "utf8");
  } catch {
    /* not built yet */
  }
  if (current === text) continue;
  if (check) {
    console.error(`${path} is not what sdk/ builds: run npm run build in sdk/`);
    stale++;
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
}
process.exit(stale ? 1 : 0);
