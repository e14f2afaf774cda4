import type { ProjectConfigProblem } from '../../domain/project.js';
import type { ClaudeStatus } from '../../engine/claude-availability.js';
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

const ClaudeAvailabilityRef = builder.objectRef<ClaudeStatus>('ClaudeAvailability').implement({
  description:
    'Whether the Claude Code CLI (`claude`) runs where CLAUDE commands run, as last checked. runClaude is refused with CLAUDE_UNAVAILABLE while it does not.',
  fields: (t) => ({
    projectName: t.exposeString('projectName', {
      nullable: true,
      description:
        'The project whose pod was checked (Kubernetes); null for the local runtime, where one check covers every project.',
    }),
    available: t.exposeBoolean('available', {
      description: '`claude --version` ran successfully.',
    }),
    version: t.exposeString('version', {
      nullable: true,
      description: 'What `claude --version` printed, e.g. `2.0.0 (Claude Code)`; null when not available.',
    }),
    path: t.exposeString('path', {
      nullable: true,
      description: 'Where `claude` was found; null when not available.',
    }),
    message: t.exposeString('message', {
      nullable: true,
      description: 'Why it is not available, where rdev looked and how to install it; null when available.',
    }),
    checkedAt: t.expose('checkedAt', { type: 'DateTime', description: 'When this was checked.' }),
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
    claude: t.field({
      type: [ClaudeAvailabilityRef],
      description:
        'Whether `claude` runs: one entry for the local runtime (checked at start); on Kubernetes one per project checked so far (each on its first runClaude). A failed check is repeated after 30 s, and by every runClaude.',
      resolve: (_s, _args, ctx) => ctx.services.projects.claudeStatus(ctx.principal),
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
