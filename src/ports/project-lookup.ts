import type { Principal } from '../domain/principal.js';
import type { Project } from '../domain/project.js';

/** Finding a project for a caller: the project service (grants applied), or null. */
export interface ProjectLookup {
  find(principal: Principal | null, name: string): Promise<Project | null>;
}
