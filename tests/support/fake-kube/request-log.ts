export type RequestVerb = 'get' | 'list' | 'watch' | 'exec' | 'discovery' | 'unsupported';

/** One request the fake received, in Kubernetes terms. */
export interface LoggedRequest {
  method: string;
  verb: RequestVerb;
  /** The path without the query string. */
  path: string;
  query: URLSearchParams;
  resource?: string;
  name?: string;
  /** The `Authorization` header, so tests can check the client's credentials. */
  authorization?: string;
}

/** Every request in arrival order, including ones a fault then failed or held. */
export class RequestLog {
  readonly entries: LoggedRequest[] = [];

  add(entry: LoggedRequest): void {
    this.entries.push(entry);
  }

  /** How many requests matched, e.g. `count({ verb: 'list', resource: 'pods' })`. */
  count(filter: { verb?: RequestVerb; resource?: string; path?: string } = {}): number {
    return this.entries.filter(
      (e) =>
        (filter.verb === undefined || e.verb === filter.verb) &&
        (filter.resource === undefined || e.resource === filter.resource) &&
        (filter.path === undefined || e.path === filter.path),
    ).length;
  }

  clear(): void {
    this.entries.length = 0;
  }
}
