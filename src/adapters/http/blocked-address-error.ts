/** Raised by the guarded connector when a webhook would reach a refused address. */
export class BlockedAddressError extends Error {
  readonly code = 'RDEV_WEBHOOK_ADDRESS_BLOCKED';

  constructor(host: string, address: string, reason: string) {
    super(
      host === address
        ? `refused to connect to ${address}: it is ${reason}`
        : `refused to connect to ${host}: it resolves to ${address}, ${reason}`,
    );
    this.name = 'BlockedAddressError';
  }
}
