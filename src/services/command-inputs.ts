import { z } from 'zod';
import { MAX_PRIORITY, MIN_PRIORITY } from '../domain/command.js';
import { spacedArgvMessage } from '../domain/shell-argv.js';

/** Input rules of the run mutations (and the legacy REST routes, which share them). */

export interface CommandLimits {
  timeoutDefaultSeconds: number;
  timeoutMaxSeconds: number;
  promptMaxBytes: number;
  /** Largest piece of input per `sendCommandInput` call. */
  inputMaxBytes: number;
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
    interactive: z.boolean().nullish(),
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
    openStdin: z.boolean().nullish(),
  });
export const gitSchema = (limits: CommandLimits) =>
  z.object({ ...common(limits), args: z.array(z.string()) });

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const commandInputSchema = z
  .object({
    commandId: z.string().min(1),
    data: z.string().nullish(),
    dataBase64: z
      .string()
      .regex(BASE64, 'must be standard base64 (A–Z, a–z, 0–9, "+", "/", "=" padding)')
      .nullish(),
    eof: z.boolean().nullish(),
  })
  .superRefine((input, ctx) => {
    const given = (input.data != null ? 1 : 0) + (input.dataBase64 != null ? 1 : 0);
    if (given > 1) {
      ctx.addIssue({ code: 'custom', path: ['data'], message: 'send either data or dataBase64, not both' });
    } else if (given === 0 && !input.eof) {
      ctx.addIssue({
        code: 'custom',
        path: ['data'],
        message: 'send data or dataBase64, or eof: true to close the stdin',
      });
    }
  });

export type SendCommandInput = z.input<typeof commandInputSchema>;

export const claudeSessionSchema = z.object({ commandId: z.string().min(1) });
export const claudeMessageSchema = z.object({
  commandId: z.string().min(1),
  text: z.string().refine((text) => text.trim() !== '', 'must not be empty'),
});

export type ClaudeSessionInput = z.input<typeof claudeSessionSchema>;
export type SendClaudeMessageInput = z.input<typeof claudeMessageSchema>;
export type RunClaudeInput = z.input<ReturnType<typeof claudeSchema>>;
export type RunShellInput = z.input<ReturnType<typeof shellSchema>>;
export type RunGitInput = z.input<ReturnType<typeof gitSchema>>;
