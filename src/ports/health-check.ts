/** Something readiness depends on. `check` resolves when healthy and rejects with a reason otherwise. */
export interface HealthCheck {
  readonly name: string;
  check(): Promise<void>;
}
