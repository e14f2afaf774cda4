import { COMMAND_TYPES } from '../../domain/project.js';
import { builder } from '../builder.js';
import { describedValues } from '../described-values.js';

/** The kinds of command rdev runs; projects list the ones they allow. */
export const CommandTypeEnum = builder.enumType('CommandType', {
  description: 'What a command runs.',
  values: describedValues(COMMAND_TYPES, {
    CLAUDE: 'The Claude Code CLI with a prompt (`runClaude`).',
    SHELL: 'A program or `sh -c` script (`runShell`).',
    GIT: '`git` with an allowed subcommand (`runGit`).',
  }),
});
