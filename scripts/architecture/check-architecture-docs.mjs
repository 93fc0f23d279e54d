// Holds every ARCHITECTURE.md to the layer map (scripts/architecture/layers.cjs), part of `npm run deps`.
// A doc states the layer of its folder, and of sub-paths that differ, in lines like
//   Layer: services — may import: shared, rules, core, connectors, platform.
//   Layer (events/, state/, match/, decide/): core — may import: shared, rules.
// Every non-test source file must be covered by the nearest ARCHITECTURE.md above it (its most
// specific Layer line), that line must name the file's layer, and its list must be the layer's list.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const { layers, TEST_FILES, layerOfFile } = require('./layers.cjs');
const root = join(dirname(new URL(import.meta.url).pathname), '..', '..');
const LINE = /^Layer(?: \(([^)]+)\))?: ([a-z]+) — may import: (.*?)\.?$/;

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && existsSync(join(root, f)));
const sources = files.filter((f) => /\.(ts|js|mjs|cjs)$/.test(f) && !f.startsWith('.') && !new RegExp(TEST_FILES).test(f) && layerOfFile(f));
const problems = [];

/** ARCHITECTURE.md path → its Layer statements, each { doc, line, scope (repo path prefix), layer, list }. */
const statements = new Map();
for (const doc of files.filter((f) => f === 'ARCHITECTURE.md' || f.endsWith('/ARCHITECTURE.md'))) {
  const folder = dirname(doc) === '.' ? '' : `${dirname(doc)}/`;
  const found = [];
  readFileSync(join(root, doc), 'utf8').split('\n').forEach((text, index) => {
    if (!text.startsWith('Layer')) return;
    const match = LINE.exec(text.trim());
    if (!match) return problems.push(`${doc}:${index + 1}: a Layer line reads "Layer[ (paths)]: <layer> — may import: <layers>." — got "${text.trim()}"`);
    const [, scopes, layer, list] = match;
    const known = layers.find((l) => l.name === layer);
    if (!known) return problems.push(`${doc}:${index + 1}: "${layer}" is not a layer (${layers.map((l) => l.name).join(', ')})`);
    const stated = list === 'nothing' ? [] : list.split(',').map((s) => s.trim()).filter(Boolean);
    const expected = known.mayImport.length ? known.mayImport.join(', ') : 'nothing';
    if (stated.join(', ') !== known.mayImport.join(', ')) problems.push(`${doc}:${index + 1}: ${layer} may import "${expected}" (scripts/architecture/layers.cjs), the doc says "${list}"`);
    for (const scope of scopes ? scopes.split(',').map((s) => s.trim()) : ['']) found.push({ doc, line: index + 1, scope: folder + scope, layer });
  });
  statements.set(doc, found);
}

for (const file of sources) {
  let dir = dirname(file);
  let covering;
  for (;;) {
    const doc = dir === '.' ? 'ARCHITECTURE.md' : `${dir}/ARCHITECTURE.md`;
    const here = (statements.get(doc) ?? []).filter((s) => file.startsWith(s.scope)).sort((a, b) => b.scope.length - a.scope.length);
    if (here.length) { covering = here[0]; break; }
    if (statements.has(doc) && dir !== '.') { problems.push(`${file}: ${doc} has no Layer line that covers it`); break; }
    if (dir === '.') { problems.push(`${file}: no ARCHITECTURE.md above it states its layer`); break; }
    dir = dirname(dir);
  }
  const actual = layerOfFile(file).name;
  if (covering && covering.layer !== actual) problems.push(`${file}: ${covering.doc}:${covering.line} says ${covering.layer}, scripts/architecture/layers.cjs puts it in ${actual}`);
}

if (problems.length) {
  console.error(`ARCHITECTURE.md files disagree with the layer map:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`ARCHITECTURE.md layer lines match the layer map (${sources.length} source files, ${statements.size} docs)`);
