// Access tokens are cached once verified, keyed by the token itself (docs/decisions.md, #15).
// The cache must never let through what verification would refuse: a token with any byte
// changed, a token signed with another secret, or a cached token past its expiry.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACCESS_TOKEN_TTL_SECONDS, TokenSigner } from '../../src/modules/auth/tokens.js';

const SECRET = 'a-test-secret-of-at-least-thirty-two-characters';
const claims = { userId: '0b7f2a5e-4a53-4c5e-9a51-2f0a4f6f6d11', role: 'user' as const };

const rejected = (signer: TokenSigner, token: string) => {
  try {
    signer.verify(token);
    return 'accepted';
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    return `${code}: ${message}`;
  }
};

describe('TokenSigner', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('verifies its own tokens, from the cache the second time alike', async () => {
    const signer = new TokenSigner(SECRET);
    const token = await signer.sign(claims);
    expect(signer.verify(token)).toEqual(claims);
    expect(signer.verify(token)).toEqual(claims);
  });

  it('refuses a cached token with its signature or payload altered', async () => {
    const signer = new TokenSigner(SECRET);
    const token = await signer.sign(claims);
    signer.verify(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // Change the signature's first character: the last one of a 32-byte HMAC in base64url
    // holds two padding bits, so A and B there decode to the same bytes (1 run in 16).
    const flip = (s: string) => `${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
    const admin = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'admin' }),
    ).toString('base64url');
    expect(rejected(signer, `${header}.${payload}.${flip(signature)}`)).toBe(
      'UNAUTHENTICATED: Access token is invalid',
    );
    expect(rejected(signer, `${header}.${admin}.${signature}`)).toBe(
      'UNAUTHENTICATED: Access token is invalid',
    );
  });

  it('refuses a token signed with another secret', async () => {
    const other = await new TokenSigner(`${SECRET}-other`).sign(claims);
    expect(rejected(new TokenSigner(SECRET), other)).toBe('UNAUTHENTICATED: Access token is invalid');
  });

  it('refuses a cached token once it has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-21T12:00:00Z'));
    const signer = new TokenSigner(SECRET);
    const token = await signer.sign(claims);
    expect(signer.verify(token)).toEqual(claims);
    vi.setSystemTime(new Date(Date.now() + (ACCESS_TOKEN_TTL_SECONDS - 5) * 1000));
    expect(signer.verify(token)).toEqual(claims);
    vi.setSystemTime(new Date(Date.now() + 10_000));
    expect(rejected(signer, token)).toBe('UNAUTHENTICATED: Access token expired');
  });
});
