import type { ProjectConfigProblem } from '../../domain/project.js';
import type { ProjectCatalogStatus } from '../../engine/project-catalog.js';
import { builder } from '../builder.js';
import { describedValues } from '../described-values.js';
import { RuntimeKind } from './server-info.js';

const CircuitStateEnum = builder.enumType('CircuitState', {
  values: describedValues(['CLOSED', 'OPEN', 'HALF_OPEN'] as const, {
    CLOSED: 'Calls to the Kubernetes API go through.',
    OPEN: 'Calls fail at once (RUNTIME_UNAVAILABLE) until a probe succeeds.',
    HALF_OPEN: 'A probe call is testing whether the API is back.',
  }),
  description: 'The Kubernetes API circuit breaker. OPEN: calls fail at once until a probe succeeds.',
});

const ProjectConfigProblemRef = builder.objectRef<ProjectConfigProblem>('ProjectConfigProblem').implement({
  description: 'One bad settings entry, label or folder; the others still apply.',
  fields: (t) => ({
    source: t.exposeString('source', {
      description: 'e.g. `configmap/rdev-projects`, `pod/web-0`, `file/rdev-projects.yaml`.',
    }),
    entry: t.exposeString('entry', { description: 'The entry, label or folder at fault.' }),
    projectName: t.exposeString('project', {
      nullable: true,
      description: 'The project it concerns, when known.',
    }),
    message: t.exposeString('message', { description: 'What is wrong and how to fix it.' }),
  }),
});

const RuntimeStatusRef = builder.objectRef<ProjectCatalogStatus>('RuntimeStatus').implement({
  description: 'How current rdev’s view of the workspaces is.',
  fields: (t) => ({
    runtime: t.field({
      type: RuntimeKind,
      description: 'Where workspaces come from.',
      resolve: (s) => (s.runtime === 'local' ? 'LOCAL' : 'KUBERNETES'),
    }),
    stale: t.exposeBoolean('stale', {
      description: 'True while projects are served from cache because the runtime cannot be read.',
    }),
    circuitState: t.field({
      type: CircuitStateEnum,
      nullable: true,
      resolve: (s) => s.circuitState,
      description: 'Null for the local runtime.',
    }),
    lastSyncedAt: t.expose('lastSyncedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the project list was last read successfully; null before the first read.',
    }),
    lastError: t.exposeString('lastError', {
      nullable: true,
      description: 'The last error reading the runtime, if the last read failed.',
    }),
    configProblems: t.field({
      type: [ProjectConfigProblemRef],
      description: 'Bad project settings entries, labels or folders, for an operator to fix.',
      resolve: (s) => [...s.problems],
    }),
  }),
});

builder.queryField('runtimeStatus', (t) =>
  t.field({
    type: RuntimeStatusRef,
    description:
      'How current the view of the workspaces is, and what is wrong with the project settings (scope `projects:read`).',
    authScopes: { scope: 'projects:read' },
    resolve: (_root, _args, ctx) => ctx.services.projects.status(ctx.principal),
  }),
);
