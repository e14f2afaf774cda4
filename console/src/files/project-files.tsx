import type { Project } from '../api/types';

/**
 * The place on a project's page for its workspace files: a tree, a viewer with syntax colouring,
 * upload and download. It stays empty until the API offers `Project.files`, `Project.file`,
 * `writeFile` and the files routes.
 */
export function ProjectFiles(_props: { project: Project }) {
  return null;
}
