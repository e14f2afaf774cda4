import { PROJECT_EVENT_TYPES, type ProjectEvent } from '../../domain/project.js';
import { builder } from '../builder.js';
import { describedValues } from '../described-values.js';
import { ProjectRef } from './project.js';

const ProjectEventTypeEnum = builder.enumType('ProjectEventType', {
  description: 'What happened to a project.',
  values: describedValues(PROJECT_EVENT_TYPES, {
    DISCOVERED: 'It appeared in the runtime.',
    CHANGED: 'Its status, labels or settings changed.',
    REMOVED: 'It went away from the runtime.',
  }),
});

const ProjectEventRef = builder.objectRef<ProjectEvent>('ProjectEvent').implement({
  description: 'A project appeared, changed, or went away.',
  fields: (t) => ({
    type: t.field({ type: ProjectEventTypeEnum, description: 'What happened.', resolve: (e) => e.type }),
    project: t.field({
      type: ProjectRef,
      resolve: (e) => e.project,
      description: 'The project after the change; for REMOVED, as it was last seen.',
    }),
    at: t.expose('at', { type: 'DateTime', description: 'When rdev saw it.' }),
  }),
});

builder.subscriptionField('projectUpdated', (t) =>
  t.field({
    type: ProjectEventRef,
    authScopes: { scope: 'projects:read' },
    description: 'Project events from now on, for the projects the key may see.',
    subscribe: (_root, _args, ctx) => ctx.services.projects.updates(ctx.principal),
    resolve: (event: ProjectEvent) => event,
  }),
);
