import { z } from 'zod';
import { MAX_PRIORITY, MIN_PRIORITY } from '../domain/command.js';
import { spacedArgvMessage } from '../domain/shell-argv.js';

/** Input rules of the run mutations (and the legacy REST routes, which share them). */

export interface CommandLimits {
  timeoutDefaultSeconds: number;
  timeoutMaxSeconds: number;
  promptMaxBytes: number;
  queueAgingSeconds: number;
  cancelGraceSeconds: number;
}

const common = (limits: CommandLimits) => ({
  projectName: z.string().min(1, 'must not be empty').max(63),
  priority: z.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY).nullish(),
  idempotencyKey: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .nullish(),
  timeoutSeconds: z
    .number()
    .int()
    .min(1, 'must be at least 1 second')
    .max(limits.timeoutMaxSeconds, `must be at most ${limits.timeoutMaxSeconds} seconds`)
    .nullish(),
});

export const claudeSchema = (limits: CommandLimits) =>
  z.object({
    ...common(limits),
    prompt: z.string(),
    resumeSessionId: z.string().nullish(),
    maxTurns: z.number().int().nullish(),
    allowedTools: z.array(z.string()).nullish(),
    model: z.string().nullish(),
  });
export const shellSchema = (limits: CommandLimits) =>
  z.object({
    ...common(limits),
    argv: z
      .array(z.string())
      .nullish()
      .superRefine((argv, ctx) => {
        const message = spacedArgvMessage(argv);
        if (message) ctx.addIssue({ code: 'custom', message });
      }),
    script: z.string().nullish(),
    env: z.record(z.string(), z.string({ message: 'environment values must be strings' })).nullish(),
    cwd: z.string().max(4096).nullish(),
  });
export const gitSchema = (limits: CommandLimits) =>
  z.object({ ...common(limits), args: z.array(z.string()) });

export type RunClaudeInput = z.input<ReturnType<typeof claudeSchema>>;
export type RunShellInput = z.input<ReturnType<typeof shellSchema>>;
export type RunGitInput = z.input<ReturnType<typeof gitSchema>>;
