/**
 * The layer rules of docs/architecture.md. `npm test` fails when one is broken.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const IPADDR = '^node_modules/ipaddr\\.js/';
const DOMAIN_MAY_IMPORT = `^src/domain/|${IPADDR}`;

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment:
        'The domain imports nothing but other domain modules (and Node built-ins for types). The one ' +
        'exception is ipaddr.js: address ranges are rules of the domain, and parsing them is pure arithmetic.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: DOMAIN_MAY_IMPORT, dependencyTypesNot: ['core', 'type-only'] },
    },
    {
      name: 'domain-no-packages',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer'], pathNot: IPADDR },
    },
    {
      name: 'ports-only-domain',
      comment: 'Ports are interfaces over domain types.',
      severity: 'error',
      from: { path: '^src/ports/' },
      to: { path: '^src/', pathNot: '^src/(domain|ports)/' },
    },
    {
      name: 'lib-only-domain',
      comment: 'Plumbing (iterators, shared reads) knows no port, engine or use case.',
      severity: 'error',
      from: { path: '^src/lib/' },
      to: { path: '^src/', pathNot: '^src/(domain|lib)/' },
    },
    {
      name: 'engine-only-domain-ports-and-lib',
      comment:
        'Engines (executor, follower, catalog, limiters) run the machinery below the use cases: they ' +
        'see the world through ports and never import a use case, an adapter or an edge.',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: '^src/', pathNot: '^src/(domain|ports|lib|engine)/' },
    },
    {
      name: 'services-only-domain-ports-lib-and-engine',
      comment: 'Use cases see the world through ports; they never import an adapter or an edge.',
      severity: 'error',
      from: { path: '^src/services/' },
      to: { path: '^src/', pathNot: '^src/(domain|ports|lib|engine|services)/' },
    },
    {
      name: 'adapters-not-upwards',
      comment: 'Adapters implement ports; they do not reach into engines, services or the edges.',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: {
        path: '^src/(engine|services|graphql|http|workers|lifecycle|composition|app\\.ts|main\\.ts|cli\\.ts)',
      },
    },
    {
      name: 'edges-reach-behaviour-through-services',
      comment: 'GraphQL, HTTP and workers call services; only the composition root wires adapters.',
      severity: 'error',
      from: { path: '^src/(graphql|http|workers)/' },
      to: { path: '^src/adapters/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'lifecycle-builds-nothing',
      comment: 'Readiness and shutdown order the parts they are given; they never build or import one.',
      severity: 'error',
      from: { path: '^src/lifecycle/' },
      to: {
        path: '^src/(adapters|services|graphql|http|workers|composition)/',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'only-the-root-composes',
      comment: 'The factories in composition/ are the composition root in parts: only app.ts calls them.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(app\\.ts$|composition/)' },
      to: { path: '^src/composition/' },
    },
    {
      name: 'entry-points-use-the-root',
      comment: 'main.ts and cli.ts get everything from the composition root, never an adapter directly.',
      severity: 'error',
      from: { path: '^src/(main|cli|cli-keys)\\.ts$' },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'only-the-root-wires',
      comment: 'Nothing imports the composition root except the process entry points.',
      severity: 'error',
      from: { pathNot: '^src/(main|cli)\\.ts$' },
      to: { path: '^src/app\\.ts$' },
    },
    {
      name: 'migrations-are-frozen',
      comment: 'Migrations never import application code, so later refactors cannot change them.',
      severity: 'error',
      from: { path: '^migrations/' },
      to: { path: '^src/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
