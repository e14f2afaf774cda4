import type { ProjectConfigProblem } from '../../domain/project.js';
import type { ProjectCatalogStatus } from '../../engine/project-catalog.js';
import { builder } from '../builder.js';
import { RuntimeKind } from './server-info.js';

const CircuitStateEnum = builder.enumType('CircuitState', {
  values: ['CLOSED', 'OPEN', 'HALF_OPEN'] as const,
  description: 'The Kubernetes API circuit breaker. OPEN: calls fail at once until a probe succeeds.',
});

const ProjectConfigProblemRef = builder.objectRef<ProjectConfigProblem>('ProjectConfigProblem').implement({
  description: 'One bad settings entry, label or folder; the others still apply.',
  fields: (t) => ({
    source: t.exposeString('source', {
      description: 'e.g. `configmap/rdev-projects`, `pod/web-0`, `file/rdev-projects.yaml`.',
    }),
    entry: t.exposeString('entry'),
    projectName: t.exposeString('project', { nullable: true }),
    message: t.exposeString('message'),
  }),
});

const RuntimeStatusRef = builder.objectRef<ProjectCatalogStatus>('RuntimeStatus').implement({
  description: 'How current rdev’s view of the workspaces is.',
  fields: (t) => ({
    runtime: t.field({ type: RuntimeKind, resolve: (s) => (s.runtime === 'local' ? 'LOCAL' : 'KUBERNETES') }),
    stale: t.exposeBoolean('stale', {
      description: 'True while projects are served from cache because the runtime cannot be read.',
    }),
    circuitState: t.field({
      type: CircuitStateEnum,
      nullable: true,
      resolve: (s) => s.circuitState,
      description: 'Null for the local runtime.',
    }),
    lastSyncedAt: t.expose('lastSyncedAt', { type: 'DateTime', nullable: true }),
    lastError: t.exposeString('lastError', { nullable: true }),
    configProblems: t.field({ type: [ProjectConfigProblemRef], resolve: (s) => [...s.problems] }),
  }),
});

builder.queryField('runtimeStatus', (t) =>
  t.field({
    type: RuntimeStatusRef,
    authScopes: { scope: 'projects:read' },
    resolve: (_root, _args, ctx) => ctx.services.projects.status(ctx.principal),
  }),
);
