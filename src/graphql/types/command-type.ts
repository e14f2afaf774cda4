import { COMMAND_TYPES } from '../../domain/project.js';
import { builder } from '../builder.js';

/** The kinds of command rdev runs; projects list the ones they allow. */
export const CommandTypeEnum = builder.enumType('CommandType', { values: COMMAND_TYPES });
