import { describe, expect, it } from 'vitest';
import { FORWARD_CREDENTIALS_LABEL, imageAllowed, secretProblem } from './handler-policy.js';

describe('handler policy', () => {
  const allowed = ['registry.example/handlers/*', 'acme/erp:1.2.3'];

  it.each([
    ['stargate:1.0', true],
    ['registry.example/handlers/billing:2', true],
    ['acme/erp:1.2.3', true],
    ['acme/erp:1.2.4', false],
    ['registry.example/handlers-evil/x:1', false],
    ['registry.example/handlers', false],
    ['evil.example/miner:latest', false],
  ])('image %s allowed: %s', (image, expected) => {
    expect(imageAllowed(image, allowed, 'stargate:1.0')).toBe(expected);
  });

  it('only the default image is allowed when the list is empty', () => {
    expect(imageAllowed('anything:1', [], 'stargate:1.0')).toBe(false);
  });

  it('a Secret needs the opt-in label', () => {
    expect(secretProblem('s', 'priv', undefined)?.reason).toBe('SecretNotAllowed');
    expect(secretProblem('s', 'priv', { [FORWARD_CREDENTIALS_LABEL]: 'yes' })?.reason).toBe(
      'SecretNotAllowed',
    );
    expect(secretProblem('s', 'priv', { [FORWARD_CREDENTIALS_LABEL]: 'true' })).toBeUndefined();
  });
});
