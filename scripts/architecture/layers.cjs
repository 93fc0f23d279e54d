/**
 * The layer map, lowest first: which paths belong to which layer and what each may import. A layer
 * may import itself and the layers it lists, nothing else. A file belongs to the first layer whose
 * paths match it (core is listed before services, so engine/state/ is core, engine/ingest/ a service).
 * Read by .dependency-cruiser.cjs (the import rules) and check-architecture-docs.mjs (every
 * ARCHITECTURE.md names its layer and this list). The root ARCHITECTURE.md explains the layers.
 */
const layers = [
  { name: 'shared', paths: ['^shared/'], mayImport: [] },
  { name: 'rules', paths: ['^rules/'], mayImport: ['shared'] },
  {
    name: 'core',
    paths: ['^engine/(events|state|match)/', '^engine/decide/', '^workflows/journey/(?!.*\\.workflow\\.ts$)'],
    mayImport: ['shared', 'rules'],
  },
  { name: 'connectors', paths: ['^connectors/'], mayImport: ['shared'] },
  { name: 'platform', paths: ['^platform/'], mayImport: ['shared', 'rules', 'core'] },
  { name: 'services', paths: ['^engine/', '^workflows/'], mayImport: ['shared', 'rules', 'core', 'connectors', 'platform'] },
  { name: 'apps', paths: ['^cli/', '^bin/', '^dev/', '^benchmarks/', '^scripts/'], mayImport: ['shared', 'rules', 'core', 'connectors', 'platform', 'services'] },
];

/** Tests and their helpers: they may import anything (fakes, servers, the stack); cycles still count. */
const TEST_FILES = '(^test/|\\.test\\.ts$|\\.conformance\\.ts$|\\.arbitraries\\.ts$|\\.harness\\.ts$|^vitest\\.config\\.ts$|^eslint\\.config\\.js$)';

/** The layer a (non-test) source file belongs to: the first whose paths match it, or undefined. */
function layerOfFile(file) {
  return layers.find((layer) => layer.paths.some((p) => new RegExp(p).test(file)));
}

/** Node's built-in modules, as dependency-cruiser names them (with or without the node: prefix). */
const NODE_BUILTINS = `^(node:)?(${require('node:module').builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`;

module.exports = { layers, TEST_FILES, layerOfFile, NODE_BUILTINS };
