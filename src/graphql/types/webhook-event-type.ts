import {
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
  webhookEventTypeEnumName,
} from '../../domain/webhook.js';
import { builder } from '../builder.js';

/** `command.timed_out` is `COMMAND_TIMED_OUT` in GraphQL; values map back to the wire names. */
export const WebhookEventTypeEnum = builder.enumType('WebhookEventType', {
  description:
    "Event types a webhook can receive. On the wire (the body's `type`) they read `command.queued`, `project.discovered`, ...",
  values: Object.fromEntries(
    WEBHOOK_EVENT_TYPES.map((type) => [
      webhookEventTypeEnumName(type),
      { value: type, description: `\`${type}\`` },
    ]),
  ) as Record<string, { value: WebhookEventType }>,
});
