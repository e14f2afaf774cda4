import type { Principal } from '../domain/principal.js';
import type { Services } from '../services/services.js';
import type { OutputBudget } from './output-budget.js';

/** What every resolver receives. Built once per request (and once per graphql-ws subscription). */
export interface GraphQLContext {
  /** `null` when the request carried no valid key. */
  principal: Principal | null;
  requestId: string;
  clientIp: string;
  services: Services;
  /** Bytes of command output this response may still carry (`RDEV_GRAPHQL_MAX_OUTPUT_BYTES`). */
  outputBudget: OutputBudget;
}
