import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import './types/api-key.js';
import './types/audit-event.js';
import './types/claude-config.js';
import './types/claude-config-mutations.js';
import './types/command.js';
import './types/command-mutations.js';
import './types/command-output.js';
import './types/command-type.js';
import './types/error.js';
import './types/git-state.js';
import './types/node.js';
import './types/project.js';
import './types/project-event.js';
import './types/project-runtime-status.js';
import './types/server-info.js';
import './types/webhook.js';
import './types/webhook-delivery.js';
import './types/webhook-event-type.js';
import './types/webhook-mutations.js';
import './types/workspace-file.js';
import './types/workspace-file-mutations.js';

/** The executable schema, sorted so the printed form is stable. */
export const schema = lexicographicSortSchema(builder.toSchema());
