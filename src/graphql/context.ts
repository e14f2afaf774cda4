import type { Principal } from '../domain/principal.js';
import type { Services } from '../services/services.js';

/** What every resolver receives. Built once per request (and once per graphql-ws subscription). */
export interface GraphQLContext {
  /** `null` when the request carried no valid key. */
  principal: Principal | null;
  requestId: string;
  clientIp: string;
  services: Services;
}
