import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../domain/webhook.js';

/** Input rules of the webhook mutations. */

const DAY_SECONDS = 86_400;
/** How long the old secret keeps signing after a rotation, unless the caller says otherwise. */
export const DEFAULT_SECRET_OVERLAP_SECONDS = DAY_SECONDS;
export const MAX_SECRET_OVERLAP_SECONDS = 7 * DAY_SECONDS;

const projectName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a project name');
const fields = {
  url: z.string().trim().min(1, 'must not be empty'),
  events: z
    .array(z.enum(WEBHOOK_EVENT_TYPES))
    .min(1, 'must name at least one event type')
    .max(WEBHOOK_EVENT_TYPES.length)
    .transform((events) => [...new Set(events)]),
  projectNames: z
    .array(projectName)
    .min(1, 'must name at least one project, or be null for every project')
    .max(100)
    .transform((names) => [...new Set(names)])
    .nullable(),
  description: z.string().trim().max(500, 'must be at most 500 characters').nullable(),
};
export const createSchema = z.object({
  url: fields.url,
  events: fields.events,
  projectNames: fields.projectNames.optional().default(null),
  description: fields.description.optional().default(null),
  sendTraceContext: z.boolean().optional().default(false),
});
export const updateSchema = z.object({
  id: z.string(),
  url: fields.url.optional(),
  events: fields.events.optional(),
  projectNames: fields.projectNames.optional(),
  description: fields.description.optional(),
  enabled: z.boolean().optional(),
  sendTraceContext: z.boolean().optional(),
});
export const overlapSchema = z
  .number()
  .int()
  .min(0, 'must not be negative')
  .max(MAX_SECRET_OVERLAP_SECONDS, `must be at most ${MAX_SECRET_OVERLAP_SECONDS} seconds (7 days)`);

export type CreateWebhookInput = z.input<typeof createSchema>;
export type UpdateWebhookInput = z.input<typeof updateSchema>;
