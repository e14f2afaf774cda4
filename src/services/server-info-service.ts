/** Facts about this rdev process that clients may ask for without any scope. */
export interface ServerInfo {
  version: string;
  runtime: 'local' | 'kubernetes';
  database: 'pglite' | 'postgres';
  startedAt: Date;
}

export class ServerInfoService {
  constructor(private readonly info: ServerInfo) {}

  get(): ServerInfo {
    return this.info;
  }
}
