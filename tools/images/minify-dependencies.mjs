// Image build only (Dockerfile, build stage): rewrites the JavaScript of the named installed
// packages without comments and whitespace, in place. Nothing else changes: no renaming, no
// compression, no bundling, so every module keeps its path, imports and exports. The packages
// named are generated code whose bulk is doc comments (@kubernetes/client-node: 24.8 MB of
// JavaScript becomes 6.7 MB). A file the minifier cannot parse is left as it is.
//   node tools/images/minify-dependencies.mjs node_modules/@kubernetes/client-node ...
// The minifier is Oxc's, through the rolldown the client-sdk packaging already depends on.
import fs from 'node:fs';
import path from 'node:path';
import { minifySync } from 'rolldown/utils';

/** Whether a .js file is an ES module: the nearest package.json says "type": "module". */
function isModule(file, cache) {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  const dir = path.dirname(file);
  if (!cache.has(dir)) {
    const manifest = path.join(dir, 'package.json');
    let type;
    if (fs.existsSync(manifest)) type = JSON.parse(fs.readFileSync(manifest, 'utf8')).type ?? 'commonjs';
    else if (path.dirname(dir) === dir) type = 'commonjs';
    cache.set(dir, type === undefined ? isModule(dir, cache) : type === 'module');
  }
  return cache.get(dir);
}

const cache = new Map();
let before = 0;
let after = 0;
for (const root of process.argv.slice(2)) {
  if (!fs.existsSync(path.join(root, 'package.json'))) throw new Error(`${root}: not an installed package`);
  for (const name of fs.readdirSync(root, { recursive: true })) {
    const file = path.join(root, name);
    if (!/\.[cm]?js$/.test(file) || !fs.lstatSync(file).isFile()) continue;
    const source = fs.readFileSync(file, 'utf8');
    const result = minifySync(file, source, {
      compress: false,
      mangle: false,
      module: isModule(file, cache),
    });
    before += source.length;
    if (result.errors.length > 0) {
      console.warn(`minify-dependencies: left as it is: ${file}`);
      after += source.length;
      continue;
    }
    fs.writeFileSync(file, result.code);
    after += result.code.length;
  }
}
console.log(
  `minify-dependencies: ${(before / 1e6).toFixed(1)} MB of JavaScript -> ${(after / 1e6).toFixed(1)} MB`,
);
