/** What the `OTEL_*` variables configure; `src/config.ts` reads and checks them. */
export interface TracingSettings {
  /** `OTEL_SDK_DISABLED` or `OTEL_TRACES_EXPORTER=none`: spans are neither recorded nor sent. */
  disabled: boolean;
  /** The OTLP/HTTP traces URL; null: nothing is exported. */
  endpoint: string | null;
  protocol: 'http/protobuf' | 'http/json';
  headers: Record<string, string>;
  timeoutMs: number;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  sampler:
    | 'always_on'
    | 'always_off'
    | 'traceidratio'
    | `parentbased_${'always_on' | 'always_off' | 'traceidratio'}`;
  samplerRatio: number;
  /** Longest `graphql.document` recorded on GraphQL spans; 0 records none. */
  graphqlDocumentMaxBytes: number;
}
