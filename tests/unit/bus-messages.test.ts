import { describe, expect, it } from 'vitest';
import { BUS_CHANNELS, decodeBusMessage, encodeBusMessage } from '../../src/domain/bus-messages.js';

describe('event-bus messages', () => {
  it('writes the payloads replicas already exchange, and reads them back', () => {
    const id = '0b6f3f0e-7a53-4a55-9d0e-5d0c2c8c1f10';
    expect(encodeBusMessage('command_output', { commandId: id, seq: 42 })).toBe(`${id}:42`);
    expect(decodeBusMessage('command_output', `${id}:42`)).toEqual({ commandId: id, seq: 42 });
    expect(encodeBusMessage('command_status', { commandId: id })).toBe(id);
    expect(encodeBusMessage('command_input', { commandId: id, seq: 7 })).toBe(`${id}:7`);
    expect(decodeBusMessage('command_input', `${id}:7`)).toEqual({ commandId: id, seq: 7 });
    expect(decodeBusMessage('dispatch', 'demo')).toEqual({ projectName: 'demo' });
    expect(encodeBusMessage('leases_released', { count: 3 })).toBe('3');
    expect(decodeBusMessage('api_key_changed', 'k1')).toEqual({ keyId: 'k1' });
    expect(BUS_CHANNELS).toEqual([
      'command_output',
      'command_input',
      'command_status',
      'dispatch',
      'leases_released',
      'api_key_changed',
    ]);
  });

  it('drops payloads it did not write rather than hand a receiver a wrong id', () => {
    expect(decodeBusMessage('command_output', 'no-seq')).toBeNull();
    expect(decodeBusMessage('command_output', ':5')).toBeNull();
    expect(decodeBusMessage('command_output', 'abc:x')).toBeNull();
    expect(decodeBusMessage('command_status', '')).toBeNull();
    expect(decodeBusMessage('command_input', 'abc:x')).toBeNull();
    expect(decodeBusMessage('dispatch', '')).toBeNull();
  });
});
