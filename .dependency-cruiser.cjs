/**
 * The import rules (`npm run deps`): no cycles, no import into a layer above (the layer map is
 * scripts/architecture/layers.cjs, explained in the root ARCHITECTURE.md), a pure core, and workflow
 * code that the Temporal sandbox can replay. Folder cycles: .dependency-cruiser.folders.cjs.
 */
const { layers, TEST_FILES } = require('./scripts/architecture/layers.cjs');

/** npm packages that do I/O: never in the pure core. */
const IO_PACKAGES = '^(@nats-io/|@temporalio/(client|worker|activity|testing)|nodemailer|twilio|pino|prom-client|smtp-server|mailparser|commander)';

const layerOf = (name) => layers.find((l) => l.name === name);
const pathsOf = (names) => names.flatMap((n) => layerOf(n).paths);
/** A file belongs to the first layer whose paths match it, so a layer's files exclude earlier layers' paths. */
const earlierPaths = (layer) => layers.slice(0, layers.indexOf(layer)).flatMap((l) => l.paths);

const layerRules = layers.map((layer) => ({
  name: `layer-${layer.name}`,
  comment: `${layer.name} may import ${[layer.name, ...layer.mayImport].join(', ')} only (see ARCHITECTURE.md)`,
  severity: 'error',
  from: { path: layer.paths, pathNot: [...earlierPaths(layer), TEST_FILES] },
  to: {
    path: '^(shared|rules|engine|workflows|connectors|platform|cli|bin|dev|benchmarks|scripts|test)/',
    pathNot: pathsOf([layer.name, ...layer.mayImport]),
  },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles between modules (type-only imports are erased and do not count here; layers still see them)',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    ...layerRules,
    {
      name: 'core-is-pure',
      comment: 'The core does no I/O: no Node built-ins but node:crypto (hashing), no I/O packages',
      severity: 'error',
      from: { path: pathsOf(['core', 'shared']), pathNot: TEST_FILES },
      to: { dependencyTypes: ['core'], pathNot: '^(node:)?crypto$' },
    },
    {
      name: 'core-no-io-packages',
      comment: 'The core does no I/O: no NATS, Temporal client/worker/activity, mail, SMS, logging or metrics packages',
      severity: 'error',
      from: { path: pathsOf(['core', 'shared', 'rules']), pathNot: TEST_FILES },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], path: IO_PACKAGES },
    },
    {
      name: 'workflow-imports-core-only',
      comment: 'A *.workflow.ts file imports the journey core, the rule schema, shared and @temporalio/workflow at run time; activities by type only',
      severity: 'error',
      from: { path: '\\.workflow\\.ts$' },
      to: {
        dependencyTypesNot: ['type-only'],
        path: '^(engine|workflows|connectors|platform|cli|bin|dev|benchmarks|scripts|test)/',
        pathNot: pathsOf(['core']),
      },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
